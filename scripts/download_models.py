#!/usr/bin/env python3
"""Download model checkpoints into the original release layout, verifying their SHA-256 (see `scripts/download_models.sh`)."""
from ich_nbdev.cli import ich_download

if __name__ == '__main__': ich_download()

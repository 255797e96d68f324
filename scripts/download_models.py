#!/usr/bin/env python3
"""Download model checkpoints into the original release layout, verifying their SHA-256 (see `scripts/download_models.sh`)."""
from ich_nbdev.predict import download_cli

if __name__ == '__main__': download_cli()

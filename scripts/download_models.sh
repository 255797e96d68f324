#!/usr/bin/env bash
# Download model checkpoints into the original release layout, verifying their SHA-256.
#   scripts/download_models.sh URL_OR_RELEASE DEST [--sha256 HEX] [--name ARCH_SIZE] [--no_check]
# URL_OR_RELEASE: an archive (.zip/.tar.gz/...) or .pth by http(s)://, file:// or local path, or a
# release manifest (.txt: one "url sha256 [name]" per line). DEST gets 2DNet/<arch>_<size>/.
# Inference never downloads: run this once, then `ich-predict ... --models DEST`.
set -euo pipefail
if [ $# -lt 2 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; [ $# -ge 2 ] || exit 2; exit 0
fi
exec "${PYTHON:-python3}" "$(dirname "$0")/download_models.py" "$@"

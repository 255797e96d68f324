#!/usr/bin/env bash
# Build the Apptainer/Singularity image of ich_nbdev from singularity/ich.def:
#
#   singularity/build_container.sh [--fakeroot] [--out PATH.sif] [extra build args...]
#
# Stages a clean copy of the checkout (tracked and new files; nothing git
# ignores: no .venv, no runs, no caches) and builds from it. Uses apptainer, else
# singularity (ICH_CONTAINER to choose). --fakeroot builds without root where
# the site allows it (or use a remote builder: --remote). ICH_BASE_IMAGE replaces
# the From: image (e.g. pytorch/pytorch:2.14.1-cuda12.8-cudnn9-runtime).
# Default output: singularity/ich.sif. Then: export ICH_SIF=$PWD/singularity/ich.sif
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/singularity/ich.sif
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$(realpath -m "$2"); shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
engine=${ICH_CONTAINER:-$(command -v apptainer || command -v singularity || true)}
[ -n "$engine" ] || { echo "neither apptainer nor singularity found (module load apptainer, or see https://apptainer.org/docs/admin/main/installation.html)" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/ich-build.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/src"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf -) | tar -xf - -C "$stage/src"
# the definition with the staged sources as an absolute path (and another base image when asked)
def=$stage/ich.def
sed -e "s|^\(\s*\)src /opt/ich_nbdev|\1$stage/src /opt/ich_nbdev|" \
    ${ICH_BASE_IMAGE:+-e "s|^From: .*|From: $ICH_BASE_IMAGE|"} "$ROOT/singularity/ich.def" > "$def"
echo "building $OUT with $engine from $(grep '^From:' "$def") ($(du -sh "$stage/src" | cut -f1) of sources)" >&2
cd "$stage"
"$engine" build --force "${args[@]}" "$OUT" "$def"
echo "built $OUT; use it with: export ICH_SIF=$OUT" >&2

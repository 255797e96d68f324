#!/usr/bin/env bash
# Custom DICOM inference in Docker with NVIDIA GPUs: preprocess a DICOM folder,
# predict the six hemorrhage classes with trained models, write CSVs (and the
# saliency report, when ich-predict makes one) under RUN_ROOT.
#
#   bash docker/run_pipeline.sh --dicom_dir /path/to/dicoms --models /path/to/models \
#        --run_root "$PWD/tmp/docker_run_$(date +%Y%m%d_%H%M%S)" [-- extra ich-predict args]
#
# Options: --image NAME (default ich-nbdev:gpu; built from docker/Dockerfile when
# missing), --cache_dir DIR (persist caches between runs), --cpu (no --gpus all).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGE=${ICH_IMAGE:-ich-nbdev:gpu}
dicom= run_root= models= cache= gpus=(--gpus all)
usage() { sed -n '2,11p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --dicom_dir) dicom=$2; shift 2 ;;
    --run_root) run_root=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --image) IMAGE=$2; shift 2 ;;
    --cache_dir) cache=$2; shift 2 ;;
    --cpu) gpus=(); shift ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done
[ -n "$dicom" ] && [ -n "$run_root" ] && [ -n "$models" ] || usage
[ -d "$dicom" ] || { echo "--dicom_dir $dicom: not a folder" >&2; exit 1; }
[ -d "$models" ] || { echo "--models $models: not a folder" >&2; exit 1; }
command -v docker >/dev/null || { echo "docker not found" >&2; exit 1; }
mkdir -p "$run_root"
dicom=$(realpath "$dicom"); run_root=$(realpath "$run_root"); models=$(realpath "$models")

if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "image $IMAGE not found: building it from docker/Dockerfile" >&2
  docker build -t "$IMAGE" -f "$ROOT/docker/Dockerfile" "$ROOT"
fi
mounts=(-v "$dicom:/data/dicom:ro" -v "$models:/data/models:ro" -v "$run_root:/data/run")
envs=(-e HOME=/tmp -e XDG_CACHE_HOME=/tmp/cache)
if [ -n "$cache" ]; then
  mkdir -p "$cache"; mounts+=(-v "$(realpath "$cache"):/data/cache"); envs=(-e HOME=/tmp -e XDG_CACHE_HOME=/data/cache -e TORCH_HOME=/data/cache/torch)
fi
echo "ich-predict $dicom -> $run_root (models $models, image $IMAGE)" >&2
docker run --rm "${gpus[@]}" --shm-size=8g --user "$(id -u):$(id -g)" "${mounts[@]}" "${envs[@]}" \
  "$IMAGE" ich-predict /data/dicom /data/run --models /data/models "$@"
echo "results in $run_root" >&2

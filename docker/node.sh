#!/usr/bin/env bash
# The DICOM node in Docker as a service: ich-node in the container, its port
# published on the host, results sent to the PACS at DEST (AET@HOST:PORT).
#
#   bash docker/node.sh --models /path/to/models --out /path/to/node_out --port 11112 \
#        --dest PACS@pacs.hospital:104 [-- extra ich-node args]
#
# Options: --image NAME (default ich-nbdev:gpu; built from docker/Dockerfile when
# missing), --cpu (no --gpus all), --name NAME (container name, default ich-node).
# The container restarts unless stopped; `docker stop ich-node` sends SIGTERM
# (the node finishes the study in progress). Inside, the node binds 0.0.0.0 (the
# container's own interface); Docker publishes the port on 127.0.0.1 unless
# ICH_PUBLISH_HOST says which host address to use.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGE=${ICH_IMAGE:-ich-nbdev:gpu}
models= out= port= dest= name=ich-node gpus=(--gpus all)
usage() { sed -n '2,13p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --dest) dest=$2; shift 2 ;;
    --image) IMAGE=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --cpu) gpus=(); shift ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done
[ -n "$models" ] && [ -n "$out" ] && [ -n "$port" ] && [ -n "$dest" ] || usage
[ -d "$models" ] || { echo "--models $models: not a folder" >&2; exit 1; }
command -v docker >/dev/null || { echo "docker not found" >&2; exit 1; }
mkdir -p "$out"
models=$(realpath "$models"); out=$(realpath "$out")
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "image $IMAGE not found: building it from docker/Dockerfile" >&2
  docker build -t "$IMAGE" -f "$ROOT/docker/Dockerfile" "$ROOT"
fi
echo "ich-node $name on port $port -> $dest (models $models, out $out, image $IMAGE)" >&2
docker run -d --restart unless-stopped --name "$name" "${gpus[@]}" --user "$(id -u):$(id -g)" \
  -p "${ICH_PUBLISH_HOST:-127.0.0.1}:$port:$port" -v "$models:/data/models:ro" -v "$out:/data/node" -e HOME=/tmp \
  "$IMAGE" ich-node --models /data/models --out /data/node --host 0.0.0.0 --port "$port" --dest "$dest" "$@"

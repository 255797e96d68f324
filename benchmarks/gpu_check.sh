#!/usr/bin/env bash
# One GPU check, ready to run the moment a GPU machine is lent (see benchmarks/gpu_check.py for what it prints):
#   bash benchmarks/gpu_check.sh              # CUDA: the figures, in under 8 minutes; a CPU: a tiny version, not GPU figures
#   bash benchmarks/gpu_check.sh --tiny       # the tiny version even on a GPU
# Needs only the checkout and its .venv (or PYTHON); no network. Exit 1 when a check fails or time runs out.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ] && PY=.venv/bin/python
if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true; fi
exec timeout "${ICH_GPU_CHECK_TIMEOUT:-470}" "$PY" benchmarks/gpu_check.py "$@"

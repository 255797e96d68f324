#!/usr/bin/env bash
# Fill the ImageNet weight caches that `pretrained: true` reads, on a machine with the network
# (a login node), for compute nodes that have none.
#   scripts/cache_weights.sh [BACKBONE ...]      (default: the three original backbones)
# torchvision's DenseNets land in $TORCH_HOME/hub/checkpoints, timm's SE-ResNeXt101 in
# $HF_HOME/hub or $TORCH_HOME (where timm hosts it). Point TORCH_HOME and HF_HOME at a shared
# folder, export the same values (and HF_HUB_OFFLINE=1) for the jobs, and bind that folder into
# the container (ICH_BIND).
set -euo pipefail
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}; [ -x "$PY" ] || PY=python3
exec "$PY" - "$@" <<'PYEOF'
import sys, torch
from ich_nbdev.models import ORIGINAL_ARCHS, PretrainedWeightsError, create_model
archs = sys.argv[1:] or list(ORIGINAL_ARCHS)
bad = [a for a in archs if a not in ORIGINAL_ARCHS]
if bad:
    print(f'cache_weights: {", ".join(bad)}: not a backbone with ImageNet weights (one of {", ".join(ORIGINAL_ARCHS)})', file=sys.stderr); sys.exit(2)
for a in archs:
    try: create_model(a, pretrained=True)
    except PretrainedWeightsError as e: print(f'cache_weights: {" ".join(str(e).split())}', file=sys.stderr); sys.exit(2)
    print(f'{a}: ImageNet weights cached (torch hub: {torch.hub.get_dir()})')
PYEOF

#!/usr/bin/env bash
# Install ich_nbdev and everything it needs. Used by the Makefile, CI and the
# container recipes, so every place installs the same way.
#   scripts/install.sh            -> .venv (created when missing), editable, dev extras
#   ICH_VENV=none scripts/install.sh  -> into the current Python (containers)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${ICH_VENV:-.venv}
PYTHON=${PYTHON:-python3}
TORCH_SPEC=${ICH_TORCH_SPEC:-"torch==2.14.1 torchvision==0.29.1"}
EXTRAS=${ICH_EXTRAS:-dev,lab}
# the exact stack this project is tested with (settings.ini only bounds it loosely)
PINS=${ICH_PINS:-"nbdev==2.4.14 execnb>=0.1.12,<0.2 fastcore>=1.12.3,<1.15 fastai==2.8.7"}

if [ "$VENV" != none ]; then
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  PY="$VENV/bin/python"
else
  PY="$PYTHON"
fi
"$PY" -m pip install -q --upgrade pip wheel setuptools
# torch first, pinned, so nothing later drags in another build
if [ "$TORCH_SPEC" != none ]; then "$PY" -m pip install -q $TORCH_SPEC; TORCH_SPEC_ARG=$TORCH_SPEC; else TORCH_SPEC_ARG=; fi
"$PY" -m pip install -q $TORCH_SPEC_ARG $PINS -e ".[${EXTRAS}]"
"$PY" -c "import ich_nbdev, torch; print('ich_nbdev', ich_nbdev.__version__, '| torch', torch.__version__)"

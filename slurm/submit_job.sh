#!/usr/bin/env bash
# Submit one slurm/ script with the resources of slurm/common.sh (environment):
#
#   slurm/submit_job.sh train_cnn PROFILE.yaml [ich-run args]   # a pipeline stage (an array when it fans out)
#   slurm/submit_job.sh predict DICOM_DIR OUT_DIR MODELS_DIR      # custom DICOM inference
#   slurm/submit_job.sh jupyterlab                               # JupyterLab on a GPU node
#
# Prints the job id. Logs: $ICH_LOG_DIR (default papermill_runs/runs/slurm-jobs/).
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
source "$(cd "$(dirname "$0")" && pwd)/common.sh"
stage=$1; shift
[ -f "$ICH_ROOT/slurm/$stage.sbatch" ] || { echo "no script slurm/$stage.sbatch" >&2; exit 1; }
n=1
case "$stage" in
  predict|jupyterlab) ;;
  *) [ $# -ge 1 ] || { echo "usage: $0 $stage PROFILE.yaml [ich-run args]" >&2; exit 2; }
     p=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); shift; set -- "$p" "$@"
     n=$(ich_n_tasks "$stage" "$@") ;;
esac
ich_submit "$stage" "${ICH_AFTER:-}" "$n" "${ICH_LOG_DIR:-$ICH_ROOT/papermill_runs/runs/slurm-jobs}" "$@"

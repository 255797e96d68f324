#!/usr/bin/env bash
# Submit the whole pipeline of a profile as a chain of SLURM jobs:
#
#   slurm/submit_pipeline.sh papermill_runs/rsna2019.yaml [ich-run args, e.g. --force]
#
# One job per stage (slurm/STAGE.sbatch), each after the previous one succeeded
# (--dependency=afterok; a failed stage cancels the rest), a job array where a
# stage fans out (size from `ich-run STAGE -f PROFILE --n_tasks`: preprocess_shard is
# the DICOM shards, train_cnn models x folds). All jobs share one run id: notebooks in
# papermill_runs/runs/<run_id>/ and the job logs in papermill_runs/runs/<run_id>/slurm/.
# Prints `STAGE JOBID NTASKS` per stage, then `run_id RUN_ID` (also saved to
# <run dir>/slurm/jobs.tsv). Resubmitting is safe: finished stages are skipped.
#
# Environment: ICH_RUN_ID (default: PROFILE-slurm-TIMESTAMP), ICH_STAGES (default:
# the profile's pipeline), ICH_AFTER (a job id the first stage waits for),
# ICH_SIF (run in this container), and the resources of slurm/common.sh, e.g.
#   ICH_GPU_PARTITION=gpu ICH_GPU_GRES=gpu:a100:1 ICH_TIME_TRAIN_CNN=2-00:00:00 slurm/submit_pipeline.sh P.yaml
#   ICH_GPU_GRES= ICH_CPUS=1 ICH_MEM= slurm/submit_pipeline.sh papermill_runs/demo.yaml   # CPU-only cluster
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,22p' "$0" >&2; exit 2; }
source "$(cd "$(dirname "$0")" && pwd)/common.sh"
command -v sbatch >/dev/null || { echo "sbatch not found: run on a SLURM login node (or start slurm/local_cluster.sh)" >&2; exit 1; }
PROFILE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -f "$PROFILE" ] || { echo "profile $1 not found" >&2; exit 1; }
shift
cd "$ICH_ROOT"

if [ -n "${ICH_STAGES:-}" ]; then
  read -r -a stages <<< "$ICH_STAGES"
else
  # the profile's pipeline; a variable it needs that is unset, or an input folder that does not exist, stops here (one line, exit 2)
  plan=$(ich_exec python -c 'import sys
from ich_nbdev.runs import submit_plan
try: print(*submit_plan(sys.argv[1]))
except Exception as e: sys.exit(f"submit_pipeline.sh: {e}")' "$PROFILE") || exit 2
  read -r -a stages <<< "$plan"
fi
[ ${#stages[@]} -gt 0 ] || { echo "no stages to submit (ICH_STAGES is empty)" >&2; exit 2; }

export ICH_RUN_ID=${ICH_RUN_ID:-$(basename "$PROFILE" .yaml)-slurm-$(date +%Y%m%d-%H%M%S)}
LOGDIR=${ICH_RUNS:-$ICH_ROOT/papermill_runs/runs}/$ICH_RUN_ID/slurm
mkdir -p "$LOGDIR"

prev=${ICH_AFTER:-}
for stage in "${stages[@]}"; do
  [ -f "$ICH_ROOT/slurm/$stage.sbatch" ] || { echo "no sbatch script slurm/$stage.sbatch for stage $stage" >&2; exit 1; }
  n=$(ich_n_tasks "$stage" "$PROFILE" "$@")
  jid=$(ich_submit "$stage" "$prev" "$n" "$LOGDIR" "$PROFILE" "$@")
  [[ "$jid" =~ ^[0-9]+$ ]] || { echo "sbatch for $stage did not return a job id: $jid" >&2; exit 1; }
  printf '%s\t%s\t%s\n' "$stage" "$jid" "$n" | tee -a "$LOGDIR/jobs.tsv" | tr '\t' ' '
  prev=$jid
done
echo "run_id $ICH_RUN_ID"
echo "follow: squeue -u $(id -un); logs: $LOGDIR; results: $(dirname "$LOGDIR")" >&2

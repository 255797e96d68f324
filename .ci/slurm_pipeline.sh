#!/usr/bin/env bash
# CI on a real SLURM: start a single-node SLURM on localhost, submit the demo
# pipeline as a chain of jobs (slurm/submit_pipeline.sh; no container, no GPU
# gres), wait for every job, and fail when any job failed or when the executed
# notebooks or the submission are missing. The cluster is stopped on exit.
#
#   .ci/slurm_pipeline.sh                      # after `make install` (uses .venv)
#
# Environment: ICH_CI_PROFILE (default papermill_runs/demo.yaml),
# ICH_CI_RUN_ARGS (ich-run args for every job; default --force, so every stage
# really runs), ICH_CI_TIMEOUT (seconds, default 3600), ICH_CI_CPUS (per job,
# default 1), ICH_SLURM_PORT (default: a free port), ICH_RUN (a stand-in runner,
# for testing this script), ICH_CI_KEEP=1 keeps the cluster's state dir (logs).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PROFILE=${ICH_CI_PROFILE:-papermill_runs/demo.yaml}
PY=${ICH_CI_PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PY" ] || PY=python3
[ -f "$PROFILE" ] || { echo "slurm CI: profile $PROFILE not found" >&2; exit 1; }

export PATH=$PATH:/usr/sbin:/sbin
for t in munged slurmctld slurmd sbatch squeue scontrol; do
  command -v "$t" >/dev/null || { slurm/install_local_slurm.sh; break; }
done

# a cluster of our own: fresh state dir, free ports, stopped on exit
export ICH_SLURM_DIR=${ICH_SLURM_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/ich-ci-slurm.XXXXXX")}
export ICH_SLURM_PORT=${ICH_SLURM_PORT:-$("$PY" -c '
import socket
for p in range(16817, 17817, 2):
    try:
        for q in (p, p + 1): socket.create_server(("127.0.0.1", q)).close()
        print(p); break
    except OSError: pass')}
cleanup() {
  rc=$?
  if [ $rc -ne 0 ] && [ -f "$ICH_SLURM_DIR/log/slurmctld.log" ]; then
    echo "--- slurmctld.log (tail)" >&2; tail -n 20 "$ICH_SLURM_DIR/log/slurmctld.log" >&2 || true
  fi
  slurm/local_cluster.sh stop || true
  [ "${ICH_CI_KEEP:-0}" = 1 ] || rm -rf "$ICH_SLURM_DIR"
  exit $rc
}
trap cleanup EXIT
conf=$(slurm/local_cluster.sh start)   # (a failed start must stop us: eval "$(...)" would not)
eval "$conf"

# CPU-only, no container; small jobs that fit the node
unset ICH_SIF
export ICH_GPU_GRES= ICH_MEM= ICH_PARTITION= ICH_GPU_PARTITION= ICH_CPUS=${ICH_CI_CPUS:-1} ICH_TIME=${ICH_CI_TIME:-02:00:00}
export ICH_RUN_ID=${ICH_RUN_ID:-ci-slurm-$(date +%Y%m%d-%H%M%S)-$$}
read -r -a run_args <<< "${ICH_CI_RUN_ARGS---force}"
submitted=$(slurm/submit_pipeline.sh "$PROFILE" "${run_args[@]}")
echo "$submitted"
ids=$(awk '$1 != "run_id" {print $2}' <<< "$submitted" | paste -sd, -)

"$PY" - "$ids" "$PROFILE" <<'PY'
import os, sys
from pathlib import Path
from ich_nbdev.testing_cluster import wait_jobs, job_failures, job_logs, check_run
ids, profile = sys.argv[1].split(','), sys.argv[2]
jobs = wait_jobs(ids, timeout=float(os.environ.get('ICH_CI_TIMEOUT', 3600)),
                 jobcomp=Path(os.environ['ICH_SLURM_DIR'])/'jobcomp.log')
run_dir = Path(os.environ.get('ICH_RUNS', 'papermill_runs/runs'))/os.environ['ICH_RUN_ID']
bad = job_failures(jobs)
for j in jobs: print(f"  job {j['JobId']:>6} {j.get('JobName', ''):<16} {j['JobState']:<10} exit {j['ExitCode']}")
if bad:
    for j in bad:   # the logs of jobs that ran (not of those afterok cancelled)
        if j.get('Reason') != 'DependencyNeverSatisfied': print(job_logs(j), file=sys.stderr)
    sys.exit(f"slurm CI: {len(bad)} job(s) failed: " + ', '.join(f"{j['JobId']} ({j.get('JobName')}: {j['JobState']}, exit {j['ExitCode']})" for j in bad))
summary = check_run(run_dir, profile)
print(f"slurm CI: {len(jobs)} job(s) completed; {len(summary['notebooks'])} executed notebooks in {run_dir}; submission {summary['submission']}")
PY

# Shared by the sbatch scripts and the submit scripts of slurm/ (sourced, not run).
#
# Where commands run: inside the container when ICH_SIF is set
# (`apptainer|singularity exec --nv $ICH_SIF ...`, the checkout bound and used as
# the working directory and as the code on PYTHONPATH, so jobs run the
# checkout's notebooks with the image's environment), else in the current
# environment, with the project's .venv activated when there is one.
#
# Environment (all optional):
#   ICH_ROOT              the checkout (default: the folder above slurm/, or the job's submit dir)
#   ICH_SIF               container image (.sif); unset/empty: no container
#   ICH_CONTAINER         apptainer or singularity (default: whichever is on PATH)
#   ICH_SIF_NV            GPU flag for exec (default --nv; '' on CPU-only nodes)
#   ICH_BIND              extra binds, e.g. /data/rsna:/data/rsna,/scratch
#   ICH_SIF_CODE          checkout (default: checkout code on PYTHONPATH) or image (the image's installed copy)
#   ICH_RUN               the runner command (default ich-run; a stand-in for tests)
#   ICH_PREDICT           the inference command (default ich-predict)
# Resources (read by ich_sbatch_args; per-stage names win over the global ones;
# STAGE is upper-case, e.g. ICH_TIME_TRAIN_CNN; an empty value drops the option):
#   ICH_PARTITION[_STAGE]  ICH_GPU_PARTITION (GPU stages; default ICH_PARTITION)
#   ICH_TIME[_STAGE]  ICH_MEM[_STAGE]  ICH_CPUS[_STAGE]
#   ICH_GPU_GRES[_STAGE]  (GPU stages; default gpu:1; ICH_GPU_GRES='' for CPU-only clusters such as CI)
#   ICH_ACCOUNT  ICH_QOS  ICH_ARRAY_MAX (max array tasks at once)
#   ICH_SBATCH_ARGS (extra sbatch options of every stage)  ICH_SBATCH_ARGS_STAGE (of one stage, after the others)

ICH_ROOT=${ICH_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
export ICH_ROOT
ICH_RUN=${ICH_RUN:-ich-run}
ICH_PREDICT=${ICH_PREDICT:-ich-predict}
ICH_GPU_STAGES=${ICH_GPU_STAGES:-"train_cnn embed sequence_fold sequence predict jupyterlab"}

ich_log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# the container engine, or fail with a clear message
ich_engine() {
  local e=${ICH_CONTAINER:-}
  if [ -z "$e" ]; then e=$(command -v apptainer || command -v singularity || true); fi
  [ -n "$e" ] || { echo "ICH_SIF=$ICH_SIF is set but neither apptainer nor singularity is on PATH (module load apptainer?)" >&2; return 1; }
  echo "$e"
}

# ich_exec CMD ARGS...: run a command in the container (ICH_SIF) or in the current environment
ich_exec() {
  if [ -n "${ICH_SIF:-}" ]; then
    [ -f "$ICH_SIF" ] || { echo "container image ICH_SIF=$ICH_SIF not found (build it with singularity/build_container.sh)" >&2; return 1; }
    local engine binds=$ICH_ROOT
    engine=$(ich_engine)
    [ -z "${ICH_BIND:-}" ] || binds="$binds,$ICH_BIND"
    if [ "${ICH_SIF_CODE:-checkout}" = checkout ]; then
      export APPTAINERENV_PYTHONPATH=$ICH_ROOT SINGULARITYENV_PYTHONPATH=$ICH_ROOT
    fi
    local nv=${ICH_SIF_NV---nv}   # unset: --nv; set but empty: no GPU flag
    # shellcheck disable=SC2086
    "$engine" exec $nv --bind "$binds" --pwd "$ICH_ROOT" "$ICH_SIF" "$@"
  else
    if [ -z "${VIRTUAL_ENV:-}" ] && [ -f "$ICH_ROOT/.venv/bin/activate" ]; then
      set +u; source "$ICH_ROOT/.venv/bin/activate"; set -u
    fi
    "$@"
  fi
}

# _ich_first DEFAULT VAR...: the value of the first VAR that is set, else DEFAULT
# (a variable set to the empty string wins and means "no such option")
_ich_first() {
  local default=$1 v
  shift
  for v in "$@"; do if [ -n "${!v+x}" ]; then echo "${!v}"; return; fi; done
  echo "$default"
}

_ich_is_gpu() { case " $ICH_GPU_STAGES " in *" $1 "*) return 0 ;; esac; return 1; }

# ich_sbatch_args STAGE: the resource options for STAGE, one per line
ich_sbatch_args() {
  local s=$1 part time mem cpus gres
  local dtime=04:00:00 dmem=16G dcpus=4
  case "$s" in
    synth)      dtime=01:00:00; dmem=8G;  dcpus=2 ;;
    preprocess_shard) dtime=04:00:00; dmem=16G; dcpus=8 ;;   # one array task per shard of the DICOM files
    preprocess) dtime=12:00:00; dmem=32G; dcpus=16 ;;
    train_cnn)  dtime=48:00:00; dmem=64G; dcpus=8 ;;
    embed)      dtime=12:00:00; dmem=64G; dcpus=8 ;;
    sequence_fold) dtime=06:00:00; dmem=32G; dcpus=4 ;;   # one array task per fold of the sequence model
    sequence)   dtime=06:00:00; dmem=32G; dcpus=4 ;;
    submit)     dtime=01:00:00; dmem=16G; dcpus=2 ;;
    predict)    dtime=04:00:00; dmem=32G; dcpus=8 ;;
    jupyterlab) dtime=08:00:00; dmem=32G; dcpus=8 ;;
  esac
  local S=${s^^}
  if _ich_is_gpu "$s"; then
    part=$(_ich_first "" "ICH_PARTITION_$S" ICH_GPU_PARTITION ICH_PARTITION)
    gres=$(_ich_first gpu:1 "ICH_GPU_GRES_$S" ICH_GPU_GRES)
  else
    part=$(_ich_first "" "ICH_PARTITION_$S" ICH_PARTITION)
    gres=
  fi
  time=$(_ich_first $dtime "ICH_TIME_$S" ICH_TIME)
  mem=$(_ich_first $dmem "ICH_MEM_$S" ICH_MEM)
  cpus=$(_ich_first $dcpus "ICH_CPUS_$S" ICH_CPUS)
  [ -z "$part" ] || echo "--partition=$part"
  [ -z "$time" ] || echo "--time=$time"
  [ -z "$mem" ] || echo "--mem=$mem"
  [ -z "$cpus" ] || echo "--cpus-per-task=$cpus"
  [ -z "$gres" ] || echo "--gres=$gres"
  [ -z "${ICH_ACCOUNT:-}" ] || echo "--account=$ICH_ACCOUNT"
  [ -z "${ICH_QOS:-}" ] || echo "--qos=$ICH_QOS"
  if [ -n "${ICH_SBATCH_ARGS:-}" ]; then printf '%s\n' $ICH_SBATCH_ARGS; fi
  local own="ICH_SBATCH_ARGS_$S"   # one stage's own options (e.g. a GPU constraint for train_cnn only)
  if [ -n "${!own:-}" ]; then printf '%s\n' ${!own}; fi
}

# ich_job_env: a job's common setup (inside an sbatch script)
ich_job_env() {
  cd "$ICH_ROOT"
  # one thread per allocated CPU unless the user chose otherwise
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-${SLURM_CPUS_PER_TASK:-1}}
  export MKL_NUM_THREADS=${MKL_NUM_THREADS:-$OMP_NUM_THREADS}
  local where="no container"
  [ -z "${ICH_SIF:-}" ] || where="container $ICH_SIF"
  ich_log "job ${SLURM_JOB_ID:-local}${SLURM_ARRAY_TASK_ID:+ task $SLURM_ARRAY_TASK_ID} on $(hostname)" \
          "(restart ${SLURM_RESTART_COUNT:-0}); root $ICH_ROOT; $where"
}

# ich_stage STAGE PROFILE [ich-run args...]: run one pipeline stage (one array task when in an array)
ich_stage() {
  local stage=$1 profile=${2:?usage: sbatch slurm/$1.sbatch PROFILE.yaml [ich-run args...]}
  shift 2
  ich_job_env
  local args=("$stage" -f "$profile")
  [ -z "${ICH_RUN_ID:-}" ] || args+=(--run_id "$ICH_RUN_ID")
  [ -z "${SLURM_ARRAY_TASK_ID:-}" ] || args+=(--task "$SLURM_ARRAY_TASK_ID")
  ich_log "$ICH_RUN ${args[*]} $*"
  # shellcheck disable=SC2086
  ich_exec $ICH_RUN "${args[@]}" "$@"
}

# ich_n_tasks STAGE PROFILE [ich-run args...]: how many array tasks STAGE fans out into
ich_n_tasks() {
  local stage=$1 profile=$2 n v=ICH_N_TASKS_${1^^}
  shift 2
  if [ -n "${!v:-}" ]; then n=${!v}; else n=$(ich_exec $ICH_RUN "$stage" -f "$profile" "$@" --n_tasks | tail -n 1); fi
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || { echo "ich_n_tasks: '$ICH_RUN $stage -f $profile --n_tasks' printed '$n', not a task count" >&2; return 1; }
  echo "$n"
}

# ich_submit STAGE DEPENDENCY NTASKS LOGDIR [script args...]: sbatch slurm/STAGE.sbatch with the
# resources of STAGE, an array when NTASKS > 1, after DEPENDENCY (job ids a:b, or ''); prints the job id
ich_submit() {
  local stage=$1 dep=$2 n=$3 logdir=$4 opts
  shift 4
  mkdir -p "$logdir"
  mapfile -t opts < <(ich_sbatch_args "$stage")
  opts+=(--parsable --job-name="ich-$stage" --chdir="$ICH_ROOT" --export=ALL)
  if [ "$n" -gt 1 ]; then
    opts+=(--array="0-$((n - 1))${ICH_ARRAY_MAX:+%$ICH_ARRAY_MAX}" --output="$logdir/%x-%A_%a.out")
  else
    opts+=(--output="$logdir/%x-%j.out")
  fi
  [ -z "$dep" ] || opts+=(--dependency="afterok:$dep")
  sbatch "${opts[@]}" "$ICH_ROOT/slurm/$stage.sbatch" "$@" | cut -d';' -f1
}

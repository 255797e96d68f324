#!/usr/bin/env bash
# A real single-node SLURM on localhost, for trying the sbatch scripts on a
# laptop and for CI:
#
#   eval "$(slurm/local_cluster.sh start)"   # starts munged, slurmctld, slurmd; prints `export SLURM_CONF=...`
#   slurm/local_cluster.sh status            # daemons, sinfo, squeue
#   slurm/local_cluster.sh env               # prints `export SLURM_CONF=...` again
#   slurm/local_cluster.sh stop              # stops the daemons this script started (by PID)
#
# It installs nothing (slurm/install_local_slurm.sh does: munge slurmctld slurmd
# slurm-client) and touches no system config: munged runs with its own key and
# socket, SLURM with its own slurm.conf, state and spool folders, all under
# $ICH_SLURM_DIR (default: ${TMPDIR:-/tmp}/ich-slurm-$USER). No accounting
# (sacct needs slurmdbd): follow jobs with squeue / scontrol; finished jobs stay
# visible for ICH_SLURM_MIN_JOB_AGE seconds (default 3600) and are also logged
# to $ICH_SLURM_DIR/jobcomp.log (jobcomp/filetxt).
#
# Environment: ICH_SLURM_DIR, ICH_SLURM_PORT (slurmctld port, slurmd uses +1;
# default 6817), ICH_SLURM_CPUS (default: nproc), ICH_SLURM_MEM_MB (default:
# total memory from `free` less 512 MB), ICH_SLURM_GPUS (default: GPUs that
# nvidia-smi lists; they become gres gpu), ICH_SLURM_MIN_JOB_AGE.
# Messages go to stderr; only the export line goes to stdout.
set -euo pipefail

D=${ICH_SLURM_DIR:-${TMPDIR:-/tmp}/ich-slurm-$(id -un)}
CONF=$D/etc/slurm.conf
SOCK=$D/munge-run/munge.socket.2
PORT=${ICH_SLURM_PORT:-6817}

say() { echo "local_cluster: $*" >&2; }
die() { say "$*"; exit 1; }

need_tools() {
  local t missing=()
  for t in munged munge unmunge slurmctld slurmd sinfo squeue sbatch scontrol scancel; do
    command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || missing+=("$t")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]} -- install with slurm/install_local_slurm.sh (Debian/Ubuntu: munge slurmctld slurmd slurm-client)"
  export PATH=$PATH:/usr/sbin:/sbin
}

# pid of daemon $1 if it is alive and is that program, else nothing
live_pid() {
  local f=$D/run/$1.pid pid
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  [ -d "/proc/$pid" ] && grep -q "$1" "/proc/$pid/comm" 2>/dev/null && echo "$pid" || true
}

n_gpus() {
  if [ -n "${ICH_SLURM_GPUS:-}" ]; then echo "$ICH_SLURM_GPUS"
  elif command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true
  else echo 0; fi
}

write_conf() {
  local cpus mem gpus user gres=
  cpus=${ICH_SLURM_CPUS:-$(nproc)}
  mem=${ICH_SLURM_MEM_MB:-$(free -m | awk '/^Mem:/ {m=$2-512; print (m>256?m:$2)}')}
  gpus=$(n_gpus); user=$(id -un)
  if [ "${gpus:-0}" -gt 0 ]; then
    gres="Gres=gpu:$gpus"
    : > "$D/etc/gres.conf"
    for ((i = 0; i < gpus; i++)); do echo "NodeName=localhost Name=gpu File=/dev/nvidia$i" >> "$D/etc/gres.conf"; done
  fi
  cat > "$CONF" <<EOF
# written by slurm/local_cluster.sh: a single-node SLURM on localhost
ClusterName=ichlocal
SlurmctldHost=localhost
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
DependencyParameters=kill_invalid_depend
ReturnToService=2
MailProg=/bin/true
MinJobAge=${ICH_SLURM_MIN_JOB_AGE:-3600}
KillWait=10
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$D/jobcomp.log
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
TmpFS=$D/tmp
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
$( [ -n "$gres" ] && echo GresTypes=gpu )
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem $gres State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
  # munged refuses a socket below a folder that not everyone may traverse
  local p=$D
  while [ "$p" != / ]; do
    [ "$(( 0$(stat -c %a "$p") & 1 ))" -eq 1 ] || die "munged needs every folder above its socket traversable by all; $p is not (mode $(stat -c %a "$p")): chmod o+x it or choose another ICH_SLURM_DIR"
    p=$(dirname "$p")
  done
  mkdir -p "$D/munge" "$D/munge-run"
  chmod 0700 "$D/munge"; chmod 0755 "$D/munge-run"
  if [ ! -s "$D/munge/munge.key" ]; then
    dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 status=none
  fi
  chmod 0600 "$D/munge/munge.key"
  munged --key-file="$D/munge/munge.key" --socket="$SOCK" --pid-file="$D/run/munged.pid" \
         --log-file="$D/log/munged.log" --seed-file="$D/munge/munged.seed" \
    || die "munged did not start; see $D/log/munged.log"
  for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
  munge -n -S "$SOCK" | unmunge -S "$SOCK" >/dev/null || die "munge round trip failed; see $D/log/munged.log"
}

wait_idle() {
  local st=
  for i in $(seq "${ICH_SLURM_START_TIMEOUT:-60}"); do
    st=$(sinfo -h -n localhost -o %t 2>/dev/null || true)
    case "$st" in
      idle*|mix*|alloc*) return 0 ;;
      down*|drain*) [ $((i % 5)) -eq 0 ] && scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 1
  done
  die "node not idle after ${ICH_SLURM_START_TIMEOUT:-60} s (state: ${st:-none}); logs: $D/log/"
}

start() {
  need_tools
  export SLURM_CONF=$CONF
  if [ -n "$(live_pid slurmctld)" ] && [ -n "$(live_pid slurmd)" ] && [ -n "$(live_pid munged)" ]; then
    say "already running ($D)"; wait_idle; echo "export SLURM_CONF=$CONF"; return 0
  fi
  stop_daemons quiet
  mkdir -p "$D"/{etc,state,spool,tmp,run,log}
  chmod 0755 "$D"
  write_conf
  start_munge
  slurmctld -f "$CONF" || die "slurmctld did not start; see $D/log/slurmctld.log"
  for _ in $(seq 100); do scontrol ping >/dev/null 2>&1 && break; sleep 0.2; done
  slurmd -f "$CONF" -N localhost || die "slurmd did not start; see $D/log/slurmd.log"
  wait_idle
  say "up: $(sinfo -h -o '%P %D node(s) %t, CPUs %c, memory %m MB' | head -1); state in $D"
  echo "export SLURM_CONF=$CONF"
}

stop_daemons() {
  local name pid
  for name in slurmd slurmctld munged; do
    pid=$(live_pid "$name")
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.2; done
    if [ -d "/proc/$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
    [ "${1:-}" = quiet ] || say "stopped $name ($pid)"
  done
  rm -f "$D"/run/*.pid
}

stop() {
  if [ -f "$CONF" ] && [ -n "$(live_pid slurmctld)" ]; then
    # cancel what is still queued so no job outlives the cluster
    SLURM_CONF=$CONF scancel --quiet --user="$(id -un)" 2>/dev/null || true
  fi
  stop_daemons
}

status() {
  local name pid up=1
  for name in munged slurmctld slurmd; do
    pid=$(live_pid "$name")
    if [ -n "$pid" ]; then say "$name running (pid $pid)"; else say "$name not running"; up=0; fi
  done
  [ "$up" -eq 1 ] || return 1
  need_tools
  export SLURM_CONF=$CONF
  sinfo >&2; squeue >&2
  echo "export SLURM_CONF=$CONF"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) echo "usage: $0 start|stop|status|env   (state dir: $D)" >&2; exit 2 ;;
esac

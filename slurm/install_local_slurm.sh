#!/usr/bin/env bash
# Install the Debian/Ubuntu packages for a single-node SLURM on this machine
# (used by slurm/local_cluster.sh and CI). Needs root (or sudo). The packages do
# not start any daemon we rely on: slurm/local_cluster.sh runs its own.
set -euo pipefail
PKGS=(munge slurmctld slurmd slurm-client)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "already installed: ${PKGS[*]}"; exit 0; fi
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${PKGS[@]}"
# apt may start the packaged services; our cluster runs its own daemons with its own config
for s in slurmctld slurmd munge; do $SUDO systemctl stop "$s" >/dev/null 2>&1 || true; done
echo "installed: ${missing[*]}"

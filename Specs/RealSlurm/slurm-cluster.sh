#!/bin/bash
# slurm-cluster.sh {start|stop} -d DIR [-n NODES] [-p PROLOG] [-e EPILOG] [-s SPANK_SO]
# The real-Slurm specs' cluster: Debian 12's slurmctld and NODES slurmd "nodes" (n1..nN) on this
# one host, as production runs them (root Prolog/Epilog, PrologFlags=Alloc, the SPANK plugin in
# plugstack.conf). Built on the team's slurm-cluster.sh (measured there: ~0.4 s warm), with its
# own ports (6840; slurmd 6941..) and directory, so it never meets a cluster started by hand.
#  start: starts munged if none answers, writes DIR/etc/slurm.conf and plugstack.conf, starts
#         slurmctld and the slurmds, waits until every node is idle and a root srun works, and
#         prints `export SLURM_CONF=...`. PROLOG/EPILOG: command lines slurmd runs as ROOT on each
#         node of a job (from a root-owned wrapper in DIR/etc that sets PATH, as slurmd gives
#         none). Needs the packages .ci/run installs (slurmctld slurmd slurm-client munge).
#  stop:  TERM to the daemons it started (pid files), waits for them; lists jobs' stepds left.
# Clients need SLURM_CONF (printed by start; also in DIR/env). Root only.
set -euo pipefail
cmd=${1:-}; [ $# -gt 0 ] && shift
N=2 D="" PRO="" EPI="" SPANK=""
while [ $# -gt 0 ]; do case $1 in
  -n) N=$2; shift 2 ;; -d) D=$2; shift 2 ;; -p) PRO=$2; shift 2 ;; -e) EPI=$2; shift 2 ;;
  -s) SPANK=$2; shift 2 ;; *) echo "slurm-cluster: unknown argument $1" >&2; exit 2 ;; esac; done
[ "$(id -u)" = 0 ] || { echo "slurm-cluster: run as root" >&2; exit 2; }
case $D in /*) ;; *) echo "slurm-cluster: -d DIR (absolute) is required" >&2; exit 2 ;; esac
readonly ctld_port=6840 slurmd_port=6940

# Bounded waits for a daemon to go: 10 s, then SIGKILL.
stop() {
  local f p i
  for f in "$D"/run/slurmd-*.pid "$D/run/slurmctld.pid"; do
    [ -s "$f" ] || continue; p=$(cat "$f")
    kill -TERM "$p" 2>/dev/null || { rm -f "$f"; continue; }
    for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -KILL "$p"; rm -f "$f"
  done
  pgrep -a slurmstepd >&2 || true
}

case $cmd in
  stop) stop; exit 0 ;;
  start) ;;
  *) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac

for program in /usr/sbin/slurmctld /usr/sbin/slurmd /usr/bin/srun /usr/sbin/munged; do
  [ -x "$program" ] || { echo "slurm-cluster: $program is missing (apt-get install slurmctld slurmd slurm-client munge)" >&2; exit 3; }
done
if ! munge -n </dev/null >/dev/null 2>&1; then
  install -d -o munge -g munge -m 0755 /run/munge
  [ -s /etc/munge/munge.key ] || runuser -u munge -- mungekey --create
  runuser -u munge -- /usr/sbin/munged
fi
stop 2>/dev/null || true
# A fresh cluster: no job of an earlier run comes back from the state files.
rm -rf "$D/state"
H=$(hostname -s)
install -d -m 0755 "$D" "$D/etc" "$D/log" "$D/run" "$D/state/ctld"
mem=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
wrap() { # command line -> root-owned script slurmd can exec
  printf '#!/bin/sh\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\nexport PATH\nexec %s\n' "$1" > "$2"; chmod 755 "$2"; }
{
  cat <<CONF
ClusterName=dcspec
SlurmctldHost=$H
SlurmctldPort=$ctld_port
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$D/state/ctld
SlurmdSpoolDir=$D/state/%n
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd-%n.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerParameters=batch_sched_delay=0
MinJobAge=300
KillWait=5
OverTimeLimit=0
PrologFlags=Alloc
PrologEpilogTimeout=720
PlugStackConfig=$D/etc/plugstack.conf
CONF
  [ -n "$PRO" ] && { wrap "$PRO" "$D/etc/prolog"; echo "Prolog=$D/etc/prolog"; }
  [ -n "$EPI" ] && { wrap "$EPI" "$D/etc/epilog"; echo "Epilog=$D/etc/epilog"; }
  for i in $(seq "$N"); do
    echo "NodeName=n$i NodeHostname=$H NodeAddr=127.0.0.1 Port=$((slurmd_port+i)) CPUs=$(nproc) RealMemory=$((mem*9/10/N)) State=UNKNOWN"
  done
  echo "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
} > "$D/etc/slurm.conf"
if [ -n "$SPANK" ]; then echo "required $SPANK" > "$D/etc/plugstack.conf"; else : > "$D/etc/plugstack.conf"; fi
for i in $(seq "$N"); do install -d -m 0755 "$D/state/n$i"; done
export SLURM_CONF=$D/etc/slurm.conf
echo "export SLURM_CONF=$SLURM_CONF" > "$D/env"
/usr/sbin/slurmctld
for i in $(seq "$N"); do /usr/sbin/slurmd -N "n$i"; done
# Every node idle: up to 30 s (a cold start on a loaded machine), then say what is wrong.
for i in $(seq 300); do
  [ "$(sinfo -h -N -o %T 2>/dev/null | grep -cx idle)" = "$N" ] && break; sleep 0.1
done
[ "$(sinfo -h -N -o %T 2>/dev/null | grep -cx idle)" = "$N" ] || { echo "slurm-cluster: nodes not idle: $(sinfo -h -N 2>&1 | head -3)" >&2; exit 1; }
srun -N"$N" -t 1 true
echo "export SLURM_CONF=$SLURM_CONF"

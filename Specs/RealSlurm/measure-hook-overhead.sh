#!/bin/bash
# measure-hook-overhead.sh BIN_DIR [CTL] - what the DataCrumbs Slurm prolog and epilog add to a
# job on the real Slurm of the specs (slurm-cluster.sh beside this file: slurmctld and two slurmd,
# PrologFlags=Alloc, the SPANK plugin in plugstack.conf in every series): N (default 20)
# `srun -N2 true` as user dcalice in each of four series, printing the median wall time of srun:
#   none       no Prolog/Epilog configured
#   empty      Prolog and Epilog are /bin/true (Slurm's own cost of running a prolog)
#   untraced   our hooks, a job that did not ask for tracing
#   traced     our hooks, --datacrumbs-enable: the daemon starts the stand-in tracer on each
#              node's prolog (the two nodes share one daemon here) and stops it in the epilog
# BIN_DIR holds the built datacrumbsd and stand-in tracer (Specs/bin/Debug/net10.0); CTL the
# client the hooks run (default BIN_DIR/datacrumbsctl, the JIT build; pass a NativeAOT publish
# for production figures). The traced series needs a real tracer start: SECRET (a site secret
# file) and PROBES (a probes file signed for dcalice with it, e.g. by the signer) in the
# environment; the stand-in tracer verifies it as the runtime does. A traced job whose tracing
# failed stops the script (its figure would be an untraced one). Root. Takes the real-Slurm specs' machine lock, so it never meets
# them; takes a few minutes; leaves nothing running.
set -euo pipefail
: "${SECRET:?set SECRET to a site secret file and PROBES to a probes file signed for dcalice with it}"
: "${PROBES:?set PROBES to a probes file signed for dcalice with SECRET}"
bin=$(cd "${1:?usage: $0 BIN_DIR [CTL]}" && pwd)
ctl=${2:-$bin/datacrumbsctl}
here=$(cd "$(dirname "$0")" && pwd)
deploy=$(cd "$here/../../deploy/slurm" && pwd)
n=${N:-20}
cluster=/run/datacrumbs-spec-slurm
exec 9>/run/lock/datacrumbs-realslurm-specs.lock
flock -w 3600 9 || { echo "the real-Slurm specs held $cluster for an hour" >&2; exit 1; }
work=$(mktemp -d /tmp/datacrumbs-measure-slurm.XXXXXX)
chmod 755 "$work"
daemon=""
cleanup() {
    "$here/slurm-cluster.sh" stop -d "$cluster" >/dev/null 2>&1 || true
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

make -s -C "$deploy" OUT="$work"
mkdir -p "$work/run" "$work/jobs"
chmod 1777 "$work/jobs"
mkdir -p "$work/standin"
install -m 0400 "$SECRET" "$work/secret"
cat >"$work/datacrumbsd.json" <<EOF
{"RunDir":"$work/run","Backend":"Process","Log":"Console","Tracer":["$bin/datacrumbs-standin-tracer"],
 "TracerEnvironment":{"STANDIN_SECRET_FILE":"$work/secret","STANDIN_RUN_DIR":"$work/run","STANDIN_CONTROL_DIR":"$work/standin"},
 "Probes":{"RequireSignature":true,"SecretFile":"$work/secret"}}
EOF
"$bin/datacrumbsd" --config "$work/datacrumbsd.json" >"$work/daemon.log" 2>&1 &
daemon=$!
# bounded wait for the daemon's socket (start-up only, not a measured result)
for _ in $(seq 300); do [ -S "$work/run/datacrumbsd.sock" ] && break; sleep 0.1; done
[ -S "$work/run/datacrumbsd.sock" ] || { echo "datacrumbsd did not start:" >&2; cat "$work/daemon.log" >&2; exit 1; }
install -o dcalice -m 0600 "$PROBES" "$work/jobs/probes.json.gz"

start() { # start PROLOG EPILOG: a fresh cluster with these hooks
    local args=(-d "$cluster" -n 2 -s "$work/datacrumbs_spank.so")
    [ -n "$1" ] && args+=(-p "$1")
    [ -n "$2" ] && args+=(-e "$2")
    "$here/slurm-cluster.sh" start "${args[@]}" >/dev/null
}

as_user() {
    runuser -u dcalice -- env -i -C "$work/jobs" PATH=/usr/bin:/bin LANG=C.UTF-8 SLURM_CONF="$cluster/etc/slurm.conf" "$@"
}

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.0f", m}'; }

# series LABEL SRUN-OPTIONS...: N runs, the median wall time of srun in ms
series() {
    local label=$1 t0 t1
    shift
    : >"$work/wall"
    for _ in $(seq "$n"); do
        t0=$(date +%s%N)
        as_user srun -N2 "$@" true 2>"$work/stderr"
        t1=$(date +%s%N)
        if grep -q datacrumbs "$work/stderr"; then echo "$label: tracing failed:" >&2; cat "$work/stderr" >&2; exit 1; fi
        echo $(( (t1 - t0) / 1000000 )) >>"$work/wall"
    done
    printf '%-9s srun -N2 true: median %s ms (n=%s)\n' "$label" "$(median <"$work/wall")" "$n"
}

hooks="--ctl=$ctl --socket=$work/run/datacrumbsd.sock"
start "" ""
series none
start /bin/true /bin/true
series empty
start "$deploy/datacrumbs_slurm_prolog.sh $hooks" "$deploy/datacrumbs_slurm_epilog.sh $hooks"
series untraced
series traced --datacrumbs-enable --datacrumbs-probe-file="$work/jobs/probes.json.gz"
# Every traced job's tracer was stopped: once the last epilogs are done (no job left in squeue,
# bounded), nothing of any job is left in the run dir.
for _ in $(seq 600); do [ -z "$(SLURM_CONF="$cluster/etc/slurm.conf" squeue -h)" ] && break; sleep 0.1; done
left=$(find "$work/run" -mindepth 1 ! -name '*.sock' | wc -l)
echo "left in the run dir after the traced series: $left"

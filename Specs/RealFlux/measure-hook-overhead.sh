#!/bin/bash
# measure-hook-overhead.sh BIN_DIR [CTL] - what the DataCrumbs prolog and epilog add to a job on
# the real multi-user Flux (flux-instance.sh beside this file): 20 `flux run -N2 true` as user
# dcalice with no prolog/epilog configured, then 20 untraced and 20 traced with our hooks (through
# flux-imp, as in production). Prints the medians: the wall time of `flux run`, and the prolog
# and epilog spans from each job's eventlog (prolog-start..prolog-finish, epilog-start..finish).
# BIN_DIR holds the built datacrumbsd and stand-in tracer (Specs/bin/Debug/net10.0); CTL the
# client the hooks run (default BIN_DIR/datacrumbsctl, the JIT build; pass a NativeAOT publish
# for production figures). Root. Takes a few minutes; leaves nothing running.
set -euo pipefail
bin=$(cd "${1:?usage: $0 BIN_DIR [CTL]}" && pwd)
ctl=${2:-$bin/datacrumbsctl}
here=$(cd "$(dirname "$0")" && pwd)
deploy=$(cd "$here/../../deploy/flux" && pwd)
flux=/opt/flux/bin/flux
n=${N:-20}
work=$(mktemp -d /tmp/datacrumbs-measure.XXXXXX)
chmod 755 "$work"
daemon=""
cleanup() {
    "$here/flux-instance.sh" stop >/dev/null 2>&1 || true
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/run" "$work/jobs"
chmod 1777 "$work/jobs"
cat >"$work/datacrumbsd.json" <<EOF
{"RunDir":"$work/run","Backend":"Process","Log":"Console","Tracer":["$bin/datacrumbs-standin-tracer"],
 "FluxCommand":"$flux","Probes":{"RequireSignature":false}}
EOF
"$bin/datacrumbsd" --config "$work/datacrumbsd.json" >"$work/daemon.log" 2>&1 &
daemon=$!
# bounded wait for the daemon's socket (no sleep-polling of results: this is start-up only)
for _ in $(seq 300); do [ -S "$work/run/datacrumbsd.sock" ] && break; sleep 0.1; done
[ -S "$work/run/datacrumbsd.sock" ] || { echo "datacrumbsd did not start:" >&2; cat "$work/daemon.log" >&2; exit 1; }
printf 'probes' | gzip >"$work/jobs/probes.json.gz"
chmod 644 "$work/jobs/probes.json.gz"

as_user() {
    runuser -u dcalice -- env -i -C "$work/jobs" PATH=/opt/flux/bin:/usr/bin:/bin LANG=C.UTF-8 \
        FLUX_URI="$uri" FLUX_CLI_PLUGINPATH="$deploy/cli/plugins" "$flux" "$@"
}

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.0f", m}'; }

# one series: $1 label, rest: extra flux run options
series() {
    local label=$1; shift
    : >"$work/wall" ; : >"$work/prolog" ; : >"$work/epilog"
    for _ in $(seq "$n"); do
        local t0 t1 id log
        t0=$(date +%s%N)
        as_user run -N2 "$@" true
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000000 )) >>"$work/wall"
        id=$(as_user jobs -a -n -c1 -o '{id}')
        as_user job wait-event --timeout=120 "$id" clean >/dev/null
        log=$(as_user job eventlog "$id")
        awk '/prolog-start/{s=$1} /prolog-finish/{printf "%.0f\n", ($1-s)*1000}' <<<"$log" >>"$work/prolog"
        awk '/epilog-start/{s=$1} /epilog-finish/{printf "%.0f\n", ($1-s)*1000}' <<<"$log" >>"$work/epilog"
    done
    printf '%-28s flux run %5s ms   prolog %5s ms   epilog %5s ms   (medians of %d)\n' "$label" \
        "$(median <"$work/wall")" "$( [ -s "$work/prolog" ] && median <"$work/prolog" || echo -)" \
        "$( [ -s "$work/epilog" ] && median <"$work/epilog" || echo -)" "$n"
}

start() { uri=$("$here/flux-instance.sh" start --root-owner no "$@" 2>/dev/null | sed -n 's/^export FLUX_URI=//p'); }

start --prolog none --epilog none
series "no prolog/epilog"
hooks="--ctl=$ctl --socket=$work/run/datacrumbsd.sock"
start --prolog "$deploy/datacrumbs_service_run.sh $hooks" --epilog "$deploy/datacrumbs_service_stop.sh $hooks"
series "our hooks, untraced"
series "our hooks, traced" --datacrumbs-enable --datacrumbs-probe-file probes.json.gz

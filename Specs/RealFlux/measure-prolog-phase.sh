#!/bin/bash
# measure-prolog-phase.sh [SIZE...] - issue 15 point 5: the whole prolog phase of one job spanning
# every rank, with our real hooks and our real daemon. For each size (default "2 16 64"), two
# single-user test instances (`flux start --test-size=N`, root their owner, all brokers on this
# host), each running ROUNDS (default 7) jobs `flux submit -N<size> true` per kind, one at a time,
# each awaited to its end (the eventlog's clean):
#   floor     /bin/true as the per-rank prolog and epilog: what per-rank perilog costs by itself
#   untraced  `datacrumbsctl hook prolog|epilog` (the production command, no shell on the common
#             path), a job that did not ask for tracing
#   traced    the same hooks, a job that asked (the CLI plugin's --datacrumbs-enable, a probe file
#             signed for root, the job's user here): the stand-in tracer starts and must be ready
# and reports, per size and kind, the median (min..max) of the job's prolog span (eventlog
# prolog-start..prolog-finish) and epilog span (epilog-start..epilog-finish), in ms.
# ONE daemon (Release build, process backend, stand-in tracer, as measure-hook-overhead.sh starts
# it) serves every broker: the same job's prolog reaches it once per rank. How many of those read
# the jobspec is counted on Flux's side: `flux module trace` of every broker's job-info module,
# the job-info.lookup requests for the job's jobspec alone (what the daemon asks).
# Environment: BIN_DIR (datacrumbsd and the stand-in tracer; default Host/Daemon/bin/Release/net10.0),
# CTL (the client the hooks run; default BIN_DIR/datacrumbsctl, pass a NativeAOT publish for
# production figures), ROUNDS, RESULTS=FILE (also writes the TSV there).
# Root. Takes the real-Flux specs' machine lock. Leaves nothing running. Many minutes at 64.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
flux=/opt/flux/bin/flux

# ---- inside one instance (the script runs itself as the instance's initial program) ----------
if [ "${1:-}" = --inside ]; then
    # --inside SIZE ROUNDS OUT KIND...: ROUNDS jobs on all ranks per kind, interleaved; one TSV
    # line per job to OUT: kind, size, prolog ms, epilog ms, jobspec reads the brokers served.
    shift
    size=$1 rounds=$2 out=$3; shift 3
    rundir=$(flux getattr rundir)
    rundir=${rundir%-0}   # --test-rundir: each broker's socket is RUNDIR/local-RANK
    # Every broker's job-info module serves the lookups sent to that broker (Flux 0.88 loads it on
    # every rank), so each is traced; line-buffered, so a killed trace has written all it saw.
    tracers=()
    trap 'kill "${tracers[@]}" 2>/dev/null || true' EXIT
    for rank in $(seq 0 $((size - 1))); do
        FLUX_URI=local://$rundir/local-$rank timeout 7200 stdbuf -oL flux module trace -f -t request -T job-info.lookup job-info \
            >"$out.trace.$rank" 2>&1 &
        tracers+=($!)
    done
    # A trace is listening once it shows a lookup sent after it started (job 1 exists nowhere;
    # each attempt is one request, so the loop is bounded by its count, not by a clock).
    for rank in $(seq 0 $((size - 1))); do
        for attempt in $(seq 600); do
            FLUX_URI=local://$rundir/local-$rank flux job info 1 jobspec >/dev/null 2>&1 || true
            grep -q '"id": 1,' "$out.trace.$rank" && break
            [ "$attempt" = 600 ] && { echo "the job-info trace of rank $rank never started" >&2; exit 1; }
        done
    done
    span() { awk -v a="$1" -v b="$2" '$2==a{s=$1} $2==b{printf "%.1f", ($1-s)*1000}'; }
    : >"$out.jobs"
    for _ in $(seq "$rounds"); do
        for kind in "$@"; do
            opts=()
            [ "$kind" = traced ] && opts=(--datacrumbs-enable --datacrumbs-probe-file probes.json.gz)
            id=$(timeout 900 flux submit -N"$size" "${opts[@]}" true)
            timeout 900 flux job wait-event --timeout=900 "$id" clean >/dev/null
            log=$(flux job eventlog "$id")
            if grep -q exception <<<"$log"; then
                echo "job $id ($kind, $size ranks) raised an exception:" >&2; echo "$log" >&2; exit 1
            fi
            printf '%s\t%s\t%s\t%s\t%s\n' "$kind" "$size" "$(span prolog-start prolog-finish <<<"$log")" \
                "$(span epilog-start epilog-finish <<<"$log")" "$(flux job id --to=dec "$id")" >>"$out.jobs"
        done
    done
    kill "${tracers[@]}" 2>/dev/null || true
    wait "${tracers[@]}" 2>/dev/null || true
    # The daemon's reads: job-info.lookup of keys ["jobspec"] with flags 0 (FluxLibraryJobspecSource);
    # Flux's own lookups of a job ask for J, R or the eventlog, `flux job info` sets flags.
    reads=$(cat "$out".trace.* | tr -d ' \n' | sed 's/[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T/\n&/g' \
        | sed -n 's/.*rx>job-info\.lookup.*{"id":\([0-9]*\),"keys":\["jobspec"\],"flags":0}.*/\1/p')
    while IFS=$'\t' read -r kind sz prolog epilog job; do
        printf '%s\t%s\t%s\t%s\t%s\n' "$kind" "$sz" "$prolog" "$epilog" "$(grep -cx "$job" <<<"$reads" || true)"
    done <"$out.jobs" >>"$out"
    rm -f "$out".trace.* "$out.jobs"
    exit 0
fi

# ---- outside: the daemon, the instances, the summary --------------------------------------------
repo=$(cd "$here/../.." && pwd)
deploy=$repo/deploy/flux
bin=$(cd "${BIN_DIR:-$repo/Host/Daemon/bin/Release/net10.0}" && pwd)
ctl=$(realpath "${CTL:-$bin/datacrumbsctl}")
rounds=${ROUNDS:-7}
sizes=${*:-2 16 64}   # "2 16 64" or 2 16 64
lock=/run/lock/datacrumbs-realflux-specs.lock
for n in $sizes "$rounds"; do
    [[ $n =~ ^[1-9][0-9]{0,3}$ ]] || { echo "measure-prolog-phase.sh: '$n' is not a count of brokers or rounds (a whole number, 1 to 9999)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "measure-prolog-phase.sh: run as root (the daemon and the instances' hooks)" >&2; exit 1; }
for f in "$bin/datacrumbsd" "$bin/datacrumbs-standin-tracer" "$ctl" "$flux"; do
    [ -x "$f" ] || { echo "measure-prolog-phase.sh: $f is missing or not executable (build Host/Daemon -c Release first)" >&2; exit 1; }
done

# Never measured under a real-Flux spec suite, nor under the lead's measurements.
exec 9>>"$lock"
echo "$(date -u +%T) waiting for $lock" >&2
flock --exclusive --wait 3600 9 || { echo "the real Flux is busy ($lock held for an hour)" >&2; exit 1; }
echo "$(date -u +%T) got it" >&2

work=$(mktemp -d /tmp/datacrumbs-prolog-phase.XXXXXX)
daemon="" instance=""
cleanup() {
    set +e   # every step runs, whatever the one before it returned
    # `timeout` passes the TERM on to `flux start`, which stops its brokers and the initial program
    [ -n "$instance" ] && kill "$instance" 2>/dev/null && wait "$instance" 2>/dev/null
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# The site secret and a probe file the stand-in accepts, signed for root (the test instance's jobs are root's).
# shellcheck source=measure-daemon.sh
. "$here/measure-daemon.sh"
start_measure_daemon "$work" "$bin" 0 || exit 1

# job-manager config of one instance: $1 prolog command, $2 epilog command (TOML arrays)
perilog_config() {
    mkdir -p "$work/conf-$3"
    cat >"$work/conf-$3/job-manager.toml" <<EOF
[job-manager]
plugins = [ { load = "perilog.so" } ]
[job-manager.prolog]
command = $1
per-rank = true
timeout = "10m"
[job-manager.epilog]
command = $2
per-rank = true
timeout = "12m"
EOF
}
perilog_config '[ "/bin/true" ]' '[ "/bin/true" ]' floor
perilog_config "[ \"$ctl\", \"hook\", \"prolog\", \"--script=$deploy/datacrumbs_service_run.sh\", \"--socket=$work/run/hooks.sock\", \"--ctl=$ctl\" ]" \
               "[ \"$ctl\", \"hook\", \"epilog\", \"--script=$deploy/datacrumbs_service_stop.sh\", \"--socket=$work/run/hooks.sock\", \"--ctl=$ctl\" ]" hooks

load_start=$(cut -d' ' -f1 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
: >"$work/jobs.tsv"
# $1 size, $2 config, rest: kinds
instance() {
    local size=$1 conf=$2; shift 2
    echo "$(date -u +%T) $size brokers, prolog $conf: $rounds rounds of $*" >&2
    mkdir -p "$work/rd-$size-$conf"
    # bounded: an instance that cannot start or finish on a loaded machine fails the run, saying where
    # in the background, so that a signal to this script reaches the trap now, not after the instance
    (cd "$work/jobs" && FLUX_CLI_PLUGINPATH="$deploy/cli/plugins" exec timeout 3600 "$flux" start --test-size="$size" \
        --test-rundir="$work/rd-$size-$conf" --config-path="$work/conf-$conf" -Slog-stderr-level=3 \
        "$here/measure-prolog-phase.sh" --inside "$size" "$rounds" "$work/jobs.tsv" "$@") &
    instance=$!
    wait "$instance" || { echo "the $size-broker instance ($conf) failed (exit $?); daemon log:" >&2; tail -20 "$work/daemon.log" >&2; exit 1; }
    instance=""
}
for size in $sizes; do
    instance "$size" floor floor
    instance "$size" hooks untraced traced
done
load_end=$(cut -d' ' -f1 /proc/loadavg)

# per size and kind: median (min..max) of the prolog and epilog spans, and of the jobspec reads per job
summary() {
    # jobspec reads: job-info.lookup requests for the job's jobspec that the brokers served (the daemon's)
    printf '# kind\tranks\tprolog_median_ms\tprolog_min_ms\tprolog_max_ms\tepilog_median_ms\tepilog_min_ms\tepilog_max_ms\tjobspec_reads_median\tjobspec_reads_min\tjobspec_reads_max\n'
    for size in $sizes; do
        for kind in floor untraced traced; do
            awk -v k="$kind" -v s="$size" '$1==k && $2==s' "$work/jobs.tsv" | python3 -c '
import statistics, sys
rows = [l.split("\t") for l in sys.stdin.read().splitlines()]
cols = [[float(r[i]) for r in rows] for i in (2, 3, 4)]
print("\t".join(rows[0][:2] + ["%.1f\t%.1f\t%.1f" % (statistics.median(c), min(c), max(c)) for c in cols[:2]]
                + ["%g\t%g\t%g" % (statistics.median(cols[2]), min(cols[2]), max(cols[2]))]))'
        done
    done
    printf '# %s jobs per kind and size, %s; load average (1 min) %s at the start, %s at the end\n' "$rounds" "$started" "$load_start" "$load_end"
}
summary | tee "${RESULTS:-/dev/null}"

#!/bin/bash
# datacrumbs_service_run.sh: the Flux job-manager prolog hook (installed as
# /sbin/datacrumbs_service_run.sh, run with per-rank = true on every node of a job).
#
# It asks the node's datacrumbsd, through datacrumbsctl, to start DataCrumbs tracing
# for the job and waits for the answer. All the work is the daemon's; this script
# only maps the answer onto what Flux understands:
#   exit 0  job may start (traced, not requested, or failed with policy `continue`)
#   exit 1  job must not start: Flux raises a fatal exception and drains this node
# Everything it prints is one line, which lands in `flux dmesg`.
#
# Environment (from the job-manager): FLUX_JOB_ID (f58, either prefix),
# FLUX_JOB_USERID, FLUX_URI; datacrumbsctl reads them itself.
# Settings (environment, or the option):
#   DATACRUMBSCTL             client path (default /usr/bin/datacrumbsctl)
#   DATACRUMBS_RETRY_FOR      seconds the client keeps trying while the daemon restarts
#                             (default 15; read by datacrumbsctl itself)
#   DATACRUMBS_FLUX           flux command used to raise job exceptions (default flux)
#   DATACRUMBS_ON_FAILURE     continue|fail, or --on-failure=POLICY: what to do when the
#                             daemon cannot be asked (down, no answer, refused); default
#                             continue. Failures of tracing itself follow the daemon's
#                             on-failure setting, which the client reports (exit 1 or 10).
#   DATACRUMBS_PROLOG_TIMEOUT seconds to wait for the daemon (default 180: the sum of its
#                             state timeouts resolve 10 + write-env 5 + start 30 +
#                             ready 120 = 165, plus margin). Keep the job-manager prolog
#                             timeout above this plus 15 s.
#   DATACRUMBS_CANCEL_TIMEOUT seconds for the cleanup after SIGTERM (default 30; keep the
#                             job-manager kill-timeout above it).
set -u

readonly ctl="${DATACRUMBSCTL:-/usr/bin/datacrumbsctl}"
readonly flux="${DATACRUMBS_FLUX:-flux}"
readonly raise_timeout=10
policy="${DATACRUMBS_ON_FAILURE:-continue}"
wait_s="${DATACRUMBS_PROLOG_TIMEOUT:-180}"
cancel_s="${DATACRUMBS_CANCEL_TIMEOUT:-30}"
job="${FLUX_JOB_ID:-unknown-job}"
client=""
out=""

say() { printf 'datacrumbs: %s: %s\n' "$job" "$*"; }

usage() {
    cat <<EOF
usage: $0 [--on-failure=continue|fail]
Flux job-manager prolog: start DataCrumbs tracing for \$FLUX_JOB_ID on this node.
EOF
}

for arg in "$@"; do
    case "$arg" in
        --on-failure=*) policy="${arg#--on-failure=}" ;;
        -h|--help) usage; exit 0 ;;
        *) say "prolog hook: unknown argument '$arg' (see --help)"; exit 1 ;;
    esac
done
case "$policy" in
    continue|fail) ;;
    *) say "prolog hook: on-failure must be continue or fail, not '$policy'"; exit 1 ;;
esac
for n in "$wait_s" "$cancel_s"; do
    case "$n" in
        ''|*[!0-9]*) say "prolog hook: timeouts must be whole seconds, not '$n'"; exit 1 ;;
    esac
done

# Tell the job's user why it runs untraced: a non-fatal exception (severity 1) shows in
# `flux job eventlog` and on the submitting terminal, and does not affect the job.
# --message keeps a note that looks like a job id from being read as one.
raise() {
    local note="$1" rc=0
    timeout -k 2 "$raise_timeout" "$flux" job raise --severity=1 --type=datacrumbs \
        --message="$note" "$job" >/dev/null 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "$note"
    else
        echo "$note [job exception not raised: flux job raise exit $rc]"
    fi
}

# The daemon could not be asked: apply this hook's own policy.
unreachable() {
    local line="$1"
    if [ "$policy" = fail ]; then
        echo "$line (on-failure=fail: job canceled)"
        exit 1
    fi
    raise "$line (job runs untraced)"
    exit 0
}

cleanup() { [ -n "$out" ] && rm -f -- "$out"; }

# SIGTERM: the job was canceled or the prolog timed out. Stop the client, ask the daemon
# to undo whatever it started (bounded: a stuck hook past kill-timeout drains the node),
# and exit. Flux runs the real epilog as well; the daemon makes the two meet harmlessly.
on_signal() {
    local sig="$1" rc=0
    trap '' TERM INT
    [ -n "$client" ] && kill -TERM "$client" 2>/dev/null
    timeout -k 2 "$cancel_s" "$ctl" epilog --timeout "$cancel_s" >/dev/null 2>&1 || rc=$?
    cleanup
    say "prolog interrupted by SIG$sig; asked the daemon to stop tracing (epilog exit $rc)"
    exit 143
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT

out="$(mktemp "${TMPDIR:-/tmp}/datacrumbs-prolog.XXXXXX" 2>/dev/null)" || out=""

# In the background and waited for, so that a signal runs the trap at once.
# timeout(1) is a backstop behind the client's own --timeout, in case the client wedges.
timeout -k 5 "$((wait_s + 10))" "$ctl" prolog --timeout "$wait_s" \
    >"${out:-/dev/null}" 2>&1 </dev/null &
client=$!
rc=0
wait "$client" || rc=$?
client=""

line=""
[ -n "$out" ] && IFS= read -r line <"$out"
cleanup

case "$rc" in
    0)  [ -n "$line" ] && echo "$line"; exit 0 ;;
    10) raise "${line:-datacrumbs: $job: failed: tracing could not start (job runs untraced)}"; exit 0 ;;
    1)  echo "${line:-datacrumbs: $job: failed: tracing could not start (on-failure=fail)}"; exit 1 ;;
    3)  unreachable "${line:-datacrumbs: $job: failed: the datacrumbs daemon is not reachable}" ;;
    5)  unreachable "${line:-datacrumbs: $job: failed: no answer from the datacrumbs daemon in ${wait_s} s}" ;;
    6)  unreachable "${line:-datacrumbs: $job: failed: the datacrumbs daemon rejected the request}" ;;
    4)  unreachable "${line:-datacrumbs: $job: failed: the datacrumbs daemon refused this caller (run the hook as root or the Flux instance owner)}" ;;
    2)  unreachable "${line:-datacrumbs: $job: failed: datacrumbsctl usage error (is FLUX_JOB_ID set?)}" ;;
    124|137) unreachable "datacrumbs: $job: failed: $ctl did not finish within $((wait_s + 10)) s" ;;
    126|127) unreachable "datacrumbs: $job: failed: cannot run $ctl (exit $rc)" ;;
    *)  unreachable "${line:-datacrumbs: $job: failed: $ctl exited with $rc}" ;;
esac

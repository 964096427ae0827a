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
# Under flux-imp (a multi-user instance) the hook gets only FLUX_* variables and
# PATH=/usr/sbin:/usr/bin:/sbin:/bin: every setting below works from the command line,
# and the defaults need none.
# Environment (from the job-manager): FLUX_JOB_ID (f58, either prefix),
# FLUX_JOB_USERID, FLUX_URI, FLUX_JOB_RANKS; datacrumbsctl reads the first three itself.
# Settings (option, or environment); --ctl, --socket, --retry-for, --flux, --on-failure and
# --timeout are read by datacrumbs_hook_args.sh, which both hooks source from their own directory:
#   --ctl=PATH                  DATACRUMBSCTL: client path (default /usr/bin/datacrumbsctl)
#   --socket=PATH               DATACRUMBS_SOCKET: the daemon's socket (default: the client's)
#   --retry-for=SECONDS         DATACRUMBS_RETRY_FOR: seconds the client keeps trying while
#                               the daemon restarts (default 5; datacrumbsctl's own)
#   --flux=PATH                 DATACRUMBS_FLUX: flux command used to raise job exceptions
#                               (default: flux on PATH, else <prefix>/bin/flux of the Flux
#                               named by FLUX_EXEC_PATH, as under flux-imp with /opt/flux)
#   --on-failure=POLICY         DATACRUMBS_ON_FAILURE: continue|fail, what to do when the
#                               daemon cannot be asked (down, no answer, refused); default
#                               continue. Failures of tracing itself follow the daemon's
#                               on-failure setting, which the client reports (exit 1 or 10).
#   --timeout=SECONDS           DATACRUMBS_PROLOG_TIMEOUT: seconds to wait for the daemon
#                               (default 510, datacrumbsctl's own: a restart retried for 5,
#                               its state timeouts resolve 10 + write-env 5 + start 30 +
#                               ready 120, a failure's cleanup (stop) 330, margins 10; see
#                               Messages/Jobs/TimeBudget.cs). Keep the job-manager prolog
#                               timeout above this plus 55 s (client backstop, flux calls).
#   --cancel-timeout=SECONDS    DATACRUMBS_CANCEL_TIMEOUT: seconds for the cleanup after
#                               SIGTERM (default 30; keep the job-manager kill-timeout above).
#
# A down daemon (stopped, or restarting) costs a job that did not ask for tracing nothing: the
# first call to the client does not retry; when it finds no daemon, the hook reads the job's
# jobspec (as the instance owner) and lets such a job pass without a word. A job that asked
# waits for the daemon within what is left of --timeout, then is told "tracing unavailable".
#
# The job's user hears of a failure through a job exception, once per job: the prolog of
# the job's first rank (FLUX_JOB_RANKS) raises it; the others only log. Policy fail: a
# fatal exception (severity 0) from every rank that failed cancels the job and the hook
# exits 0, so Flux drains no node for a job that could not be traced; only if the raise
# itself fails does the hook exit 1 (the job must not run untraced), and Flux drains.
set -u

hook=prolog
wait_s="${DATACRUMBS_PROLOG_TIMEOUT:-510}"
# The settings both hooks share live beside the hook (a link to it, as in epilog.d/, is followed).
# Only a link is resolved (readlink and dirname are two processes more on every job's path).
self="$0"
case "$self" in */*) [ -L "$self" ] && self="$(readlink -f "$self")" ;; *) self="$(readlink -f "$self")" ;; esac
hook_args="${self%/*}/datacrumbs_hook_args.sh"
[ -r "$hook_args" ] || { echo "datacrumbs: ${FLUX_JOB_ID:-unknown-job}: prolog hook: $hook_args is missing (install it beside the hook)"; exit 1; }
# shellcheck source=datacrumbs_hook_args.sh
. "$hook_args"
cancel_s="${DATACRUMBS_CANCEL_TIMEOUT:-30}"

usage() {
    cat <<EOF
usage: $0 [--on-failure=continue|fail] [--ctl=PATH] [--socket=PATH] [--flux=PATH]
          [--retry-for=SECONDS] [--timeout=SECONDS] [--cancel-timeout=SECONDS]
Flux job-manager prolog: start DataCrumbs tracing for \$FLUX_JOB_ID on this node.
EOF
}

for arg in "$@"; do
    shared_option "$arg" && continue
    case "$arg" in
        --cancel-timeout=*) cancel_s="${arg#*=}" ;;
        -h|--help) usage; exit 0 ;;
        *) say "prolog hook: unknown argument '$arg' (see --help)"; exit 1 ;;
    esac
done
check_settings "$wait_s" "$cancel_s" || exit 1

# Whether this prolog runs on the job's first rank, the one that tells the user. No
# variable names a prolog's rank: the local broker knows it. In doubt, tell the user.
first_rank() {
    local first="${FLUX_JOB_RANKS:-}" mine
    first="${first#[}"
    first="${first%%[-,]*}"
    case "$first" in ''|*[!0-9]*) return 0 ;; esac
    mine="$(as_owner timeout -k 2 "$flux_timeout" "$flux" getattr rank 2>/dev/null)" || return 0
    [ "$mine" = "$first" ]
}

# Tell the job's user why: severity 1 (the job runs untraced) or 0 (Flux cancels the job).
# Either shows on the submitting terminal and in `flux job eventlog`. --message keeps a
# note that looks like a job id from being read as one. Prints the dmesg line; fails when
# the exception could not be raised.
raise() {
    local severity="$1" note="$2" rc=0
    find_flux
    if [ "$severity" = 1 ] && ! first_rank; then
        echo "$note"
        return 0
    fi
    as_owner timeout -k 2 "$flux_timeout" "$flux" job raise --severity="$severity" --type=datacrumbs \
        --message="$note" "${FLUX_JOB_ID:-$job}" >/dev/null 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "$note"
    else
        echo "$note [job exception not raised: flux job raise exit $rc]"
    fi
    return "$rc"
}

# The job must not run: cancel it with a fatal exception carrying the reason, and drain
# nothing. Only when that is impossible, exit 1: Flux cancels the job and drains the node.
cancel_job() {
    if raise 0 "$1 (on-failure=fail: job canceled)"; then exit 0; fi
    exit 1
}

# The job runs untraced: a job exception of severity 1 says so.
runs_untraced() {
    raise 1 "$1 (job runs untraced)"
    exit 0
}

# The daemon could not be asked: apply this hook's own policy (a job that did not ask passes).
unreachable() {
    job_asked || exit 0
    [ "$policy" = fail ] && cancel_job "$1"
    runs_untraced "$1"
}

caller_hint="run the hook as root or the Flux instance owner"
usage_hint="is FLUX_JOB_ID set?"

trap 'prolog_interrupted TERM' TERM
trap 'prolog_interrupted INT' INT

call_daemon
prolog_outcome

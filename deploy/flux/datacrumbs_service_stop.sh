#!/bin/bash
# datacrumbs_service_stop.sh: the Flux job-manager epilog hook (installed as
# /sbin/datacrumbs_service_stop.sh, run with per-rank = true on every node of a job).
#
# It asks the node's datacrumbsd, through datacrumbsctl, to stop the job's tracer and
# clean up, and waits until that is done. Flux runs the epilog after the job finished,
# and also after a failed or canceled prolog: the daemon answers "stopped" for a job it
# never started, so this is always safe to run.
#   exit 0  nothing of the job is left on this node, or the failure is only logged
#   exit 1  the daemon reports it could not stop the tracer and its policy is `fail`,
#           or the daemon cannot be asked and DATACRUMBS_ON_FAILURE=fail: with
#           per-rank = true Flux then DRAINS this node (a root tracer may still run).
# Everything it prints is one line, which lands in `flux dmesg`.
#
# Under flux-imp the hook gets only FLUX_* variables and a PATH without Flux: every
# setting below works from the command line, and the defaults need none.
# Settings (option, or environment), read by datacrumbs_hook_args.sh, which both hooks
# source from their own directory:
#   --ctl=PATH                  DATACRUMBSCTL: client path (default /usr/bin/datacrumbsctl)
#   --socket=PATH               DATACRUMBS_SOCKET: the daemon's socket (default: the client's)
#   --retry-for=SECONDS         DATACRUMBS_RETRY_FOR: seconds the client keeps trying while
#                               the daemon restarts (default 5; datacrumbsctl's own)
#   --on-failure=POLICY         DATACRUMBS_ON_FAILURE: continue|fail (default continue)
#   --timeout=SECONDS           DATACRUMBS_EPILOG_TIMEOUT: seconds to wait for the daemon
#                               (default 675, datacrumbsctl's own: a restart retried for 5,
#                               a failed prolog's cleanup 330 then the stop 330, margins 10;
#                               see Messages/Jobs/TimeBudget.cs). Keep the job-manager epilog
#                               timeout above this plus 15 s (the client's backstop) plus
#                               12 s (reading the jobspec when the daemon is down).
#   --flux=PATH                 DATACRUMBS_FLUX: flux command that reads the jobspec when the
#                               daemon cannot be asked (default: as the prolog finds it)
# A job that did not ask for tracing leaves no line at all, even when the daemon is down:
# the hook then reads the job's jobspec (as the instance owner) and ends at once.
set -u

hook=epilog
wait_s="${DATACRUMBS_EPILOG_TIMEOUT:-675}"
# The settings both hooks share live beside the hook (a link to it, as in epilog.d/, is followed).
# Only a link is resolved (readlink and dirname are two processes more on every job's path).
self="$0"
case "$self" in */*) [ -L "$self" ] && self="$(readlink -f "$self")" ;; *) self="$(readlink -f "$self")" ;; esac
hook_args="${self%/*}/datacrumbs_hook_args.sh"
[ -r "$hook_args" ] || { echo "datacrumbs: ${FLUX_JOB_ID:-unknown-job}: epilog hook: $hook_args is missing (install it beside the hook)"; exit 1; }
# shellcheck source=datacrumbs_hook_args.sh
. "$hook_args"

usage() {
    cat <<EOF
usage: $0 [--on-failure=continue|fail] [--ctl=PATH] [--socket=PATH] [--retry-for=SECONDS]
          [--timeout=SECONDS] [--flux=PATH]
Flux job-manager epilog: stop DataCrumbs tracing for \$FLUX_JOB_ID on this node.
EOF
}

for arg in "$@"; do
    shared_option "$arg" && continue
    case "$arg" in
        -h|--help) usage; exit 0 ;;
        *) say "epilog hook: unknown argument '$arg' (see --help)"; exit 1 ;;
    esac
done
check_settings "$wait_s" || exit 1

trap 'epilog_interrupted TERM' TERM
trap 'epilog_interrupted INT' INT

# The daemon could not confirm the stop: apply this hook's own policy.
not_confirmed() {
    job_asked || exit 0
    if [ "$policy" = fail ]; then
        echo "$1 (on-failure=fail: node drained)"
        exit 1
    fi
    echo "$1"
    exit 0
}

call_daemon

epilog_outcome

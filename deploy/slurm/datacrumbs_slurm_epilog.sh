#!/bin/bash
# datacrumbs_slurm_epilog.sh: the Slurm Epilog (slurm.conf: Epilog=). Slurm runs it as root,
# with no PATH, on every node of the job after the job ended (also after a canceled or failed
# prolog, and after a job killed at its time limit).
#
# For a job that asked for tracing (SPANK_DATACRUMBS_ENABLE, which Slurm gives the epilog as
# it gave the prolog) it asks the node's datacrumbsd, through `datacrumbsctl epilog
# --scheduler slurm`, to stop the job's tracer and clean up, and waits until that is done.
# The daemon answers "stopped" for a job it never started, so this is always safe. A job
# that did not ask ends here at once, without a daemon call.
#
#   exit 0  nothing of the job is left on this node, or the failure is only logged
#   exit 1  the tracer could not be stopped (a root tracer may still run), or, under
#           --on-failure=fail, the daemon could not confirm the stop: Slurm DRAINS the node
#           (the job itself stays COMPLETED). That is the node being broken.
#
# Settings (option, or environment), as the prolog's (see datacrumbs_slurm_prolog.sh):
#   --ctl=PATH, --socket=PATH, --retry-for=SECONDS, --on-failure=continue|fail, --slurm-bin=DIR
#   --timeout=SECONDS       DATACRUMBS_EPILOG_TIMEOUT: seconds to wait for the daemon
#                           (default 675, datacrumbsctl's own; Messages/Jobs/TimeBudget.cs).
#                           Keep slurm.conf's PrologEpilogTimeout above this plus 15 s.
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
# A job that did not ask costs one test: before any file is read or program run (the settings
# are then not checked either: a misconfigured hook shows with the first traced job).
case " $* " in
    *" -h "*|*" --help "*) ;;
    *) [ -n "${SPANK_DATACRUMBS_ENABLE:-}" ] || exit 0 ;;
esac

hook=epilog
wait_s="${DATACRUMBS_EPILOG_TIMEOUT:-675}"
slurm_args="$(dirname "$(readlink -f "$0")")/datacrumbs_slurm_hook_args.sh"
[ -r "$slurm_args" ] || { echo "datacrumbs: s${SLURM_JOB_ID:-unknown-job}: epilog hook: $slurm_args is missing (install it beside the hook)"; exit 1; }
# shellcheck source=datacrumbs_slurm_hook_args.sh
. "$slurm_args" || exit 1

usage() {
    cat <<EOF
usage: $0 [--on-failure=continue|fail] [--ctl=PATH] [--socket=PATH] [--retry-for=SECONDS]
          [--timeout=SECONDS] [--slurm-bin=DIR]
Slurm Epilog: stop DataCrumbs tracing for \$SLURM_JOB_ID on this node, if the job asked.
EOF
}

for arg in "$@"; do
    slurm_option "$arg" && continue
    case "$arg" in
        -h|--help) usage; exit 0 ;;
        *) say "epilog hook: unknown argument '$arg' (see --help)"; exit 1 ;;
    esac
done
check_slurm_settings "$wait_s" || exit 1

trap 'epilog_interrupted TERM' TERM
trap 'epilog_interrupted INT' INT

# The daemon could not confirm the stop: apply this hook's own policy.
not_confirmed() {
    if [ "$policy" = fail ]; then
        note_line "$1 (on-failure=fail: node drained)"
        exit 1
    fi
    note_line "$1"
    exit 0
}

call_daemon

epilog_outcome

#!/bin/bash
# datacrumbs_slurm_prolog.sh: the Slurm Prolog (slurm.conf: Prolog=, with PrologFlags=Alloc so
# it runs once per job on every node at allocation, before any task). Slurm runs it as root,
# with no PATH, on every node of the job.
#
# A job that asked for tracing (the SPANK plugin's SPANK_DATACRUMBS_ENABLE) is handed to the
# node's datacrumbsd through `datacrumbsctl prolog --scheduler slurm`, which reads the job's
# SLURM_JOB_ID, SLURM_JOB_UID and the plugin's variables itself; the hook waits for the
# tracer to be ready and maps the answer onto what Slurm understands. A job that did not ask
# ends here at once, without a daemon call, whatever state the daemon is in.
#
#   exit 0  the job may start: traced, not asked, failed under policy `continue` (the user
#           is told), or canceled under policy `fail` (scancel, with the reason)
#   exit 1  only where the node is broken: Slurm DRAINS the node ("Prolog error"). That is
#           a misconfigured hook, or a job that must not run untraced and could not be
#           canceled.
#
# The user reads a failure (first node of the job only, so a thousand nodes send one
# message): on the srun or salloc terminal (`scontrol notify`), and for every job in
# `scontrol show job ID` as AdminComment=datacrumbs: ... (which it replaces). Every line is
# also in the node's syslog/journal (tag datacrumbs).
#
# Settings (option, or environment); --ctl, --socket, --retry-for, --on-failure, --timeout
# are the Flux hooks' (datacrumbs_hook_args.sh), --slurm-bin the Slurm hooks'
# (datacrumbs_slurm_hook_args.sh); both are sourced from this script's directory:
#   --ctl=PATH              DATACRUMBSCTL: client path (default /usr/bin/datacrumbsctl)
#   --socket=PATH           DATACRUMBS_SOCKET: the daemon's socket (default: the client's)
#   --retry-for=SECONDS     DATACRUMBS_RETRY_FOR: seconds the client keeps trying while the
#                           daemon restarts (default 15; datacrumbsctl's own)
#   --on-failure=POLICY     DATACRUMBS_ON_FAILURE: continue|fail, what to do when the daemon
#                           cannot be asked (down, no answer, refused); default continue.
#                           Failures of tracing itself follow the daemon's OnFailure, which
#                           the client reports (exit 1 or 10).
#   --timeout=SECONDS       DATACRUMBS_PROLOG_TIMEOUT: seconds to wait for the daemon
#                           (default 510, datacrumbsctl's own; Messages/Jobs/TimeBudget.cs).
#                           Keep slurm.conf's PrologEpilogTimeout above this plus 55 s.
#   --cancel-timeout=SECONDS DATACRUMBS_CANCEL_TIMEOUT: seconds for the cleanup after SIGTERM
#                           (default 30)
#   --slurm-bin=DIR         DATACRUMBS_SLURM_BIN: where scontrol and scancel are
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
# A job that did not ask costs one test: before any file is read or program run (the settings
# are then not checked either: a misconfigured hook shows with the first traced job).
case " $* " in
    *" -h "*|*" --help "*) ;;
    *) [ -n "${SPANK_DATACRUMBS_ENABLE:-}" ] || exit 0 ;;
esac

hook=prolog
wait_s="${DATACRUMBS_PROLOG_TIMEOUT:-510}"
slurm_args="$(dirname "$(readlink -f "$0")")/datacrumbs_slurm_hook_args.sh"
[ -r "$slurm_args" ] || { echo "datacrumbs: s${SLURM_JOB_ID:-unknown-job}: prolog hook: $slurm_args is missing (install it beside the hook)"; exit 1; }
# shellcheck source=datacrumbs_slurm_hook_args.sh
. "$slurm_args" || exit 1
cancel_s="${DATACRUMBS_CANCEL_TIMEOUT:-30}"

usage() {
    cat <<EOF
usage: $0 [--on-failure=continue|fail] [--ctl=PATH] [--socket=PATH] [--retry-for=SECONDS]
          [--timeout=SECONDS] [--cancel-timeout=SECONDS] [--slurm-bin=DIR]
Slurm Prolog: start DataCrumbs tracing for \$SLURM_JOB_ID on this node, if the job asked.
EOF
}

for arg in "$@"; do
    slurm_option "$arg" && continue
    case "$arg" in
        --cancel-timeout=*) cancel_s="${arg#*=}" ;;
        -h|--help) usage; exit 0 ;;
        *) say "prolog hook: unknown argument '$arg' (see --help)"; exit 1 ;;
    esac
done
check_slurm_settings "$wait_s" "$cancel_s" || exit 1

# Whether this node is the job's first, the one that tells the user. In doubt, tell.
first_node() {
    local first
    first="$(slurm scontrol show hostnames "${SLURM_NODELIST:-}" 2>/dev/null | head -n 1)" || return 0
    [ -z "$first" ] || [ "$first" = "${SLURMD_NODENAME:-}" ]
}

# Tell the job's user: the srun/salloc terminal and the job's AdminComment. Slurm's own
# commands take the note as one argument: no shell ever reads it.
tell_user() {
    slurm scontrol notify "$slurm_job" "$1" >/dev/null 2>&1
    slurm scontrol update JobId="$slurm_job" AdminComment="$1" >/dev/null 2>&1
}

# The job runs untraced: say so, once per job.
runs_untraced() {
    local note="$1 (job runs untraced)"
    note_line "$note"
    first_node && tell_user "$note"
    exit 0
}

# The job must not run: cancel it with the reason, drain nothing. Every failing node
# cancels (the first cancel wins, the others find it gone). Only when the job cannot be
# canceled, exit 1: Slurm then stops it and drains this node.
cancel_job() {
    local note="$1 (on-failure=fail: job canceled)" rc=0
    tell_user "$note"
    slurm scancel "$slurm_job" >/dev/null 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        note_line "$note [scancel exit $rc: exiting 1, Slurm drains the node]"
        exit 1
    fi
    note_line "$note"
    exit 0
}

# The daemon could not be asked: apply this hook's own policy.
unreachable() {
    [ "$policy" = fail ] && cancel_job "$1"
    runs_untraced "$1"
}

usage_hint="does it know --scheduler slurm?"

trap 'prolog_interrupted TERM' TERM
trap 'prolog_interrupted INT' INT

call_daemon
prolog_outcome

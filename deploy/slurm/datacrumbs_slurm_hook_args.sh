# datacrumbs_slurm_hook_args.sh: what the two Slurm hooks share, sourced by
# datacrumbs_slurm_prolog.sh and datacrumbs_slurm_epilog.sh from the directory they are
# installed in. Not a program: it sets variables and defines functions, nothing else.
# Before sourcing, a hook sets `hook` (prolog or epilog) and `wait_s` (its default wait).
#
# The settings every hook has (--ctl, --socket, --retry-for, --on-failure, --timeout) and
# the talk with the daemon (ask_daemon, call_daemon) are the Flux hooks' own, from
# datacrumbs_hook_args.sh, found beside this file (installed) or in ../flux (the source
# tree). This file adds what is Slurm's:
#   --slurm-bin=DIR    DATACRUMBS_SLURM_BIN: where scontrol and scancel are (default: the
#                      hook's PATH, /usr/sbin:/usr/bin:/sbin:/bin)
#
# Slurm runs the hooks as root with no PATH and gives them, trusted: SLURM_JOB_ID (decimal;
# an array task has its own), SLURM_JOB_UID, SLURMD_NODENAME, SLURM_NODELIST; and, from the
# user's srun/sbatch/salloc through the datacrumbs SPANK plugin (user input, checked by the
# daemon): SPANK_DATACRUMBS_ENABLE and SPANK_DATACRUMBS_PROBE_FILE.

slurm_hook_dir="$(dirname "$(readlink -f "$0")")"
for hook_args in "$slurm_hook_dir/datacrumbs_hook_args.sh" "$slurm_hook_dir/../flux/datacrumbs_hook_args.sh" ""; do
    [ -r "$hook_args" ] && break
done
if [ -z "$hook_args" ]; then
    echo "datacrumbs: s${SLURM_JOB_ID:-unknown-job}: $hook hook: datacrumbs_hook_args.sh is missing (install it beside $0)"
    return 1
fi
# shellcheck source=../flux/datacrumbs_hook_args.sh
. "$hook_args"

# Slurm's decimal job id, for Slurm's commands; messages name the job in datacrumbs' one form,
# s123, as the daemon, its journal and `datacrumbsctl status` do.
slurm_job="${SLURM_JOB_ID:-}"
job="s$slurm_job"
[ -n "$slurm_job" ] || job=unknown-job
slurm_bin="${DATACRUMBS_SLURM_BIN:-}"
# Seconds for each Slurm command the hooks run (notify, update, scancel).
readonly slurm_timeout=10

# job_asked: whether the job asked for tracing (call_daemon's question). The plugin says so in
# the job control environment, which Slurm hands to both hooks; a job without it ends at the
# hook's first test and never reaches this file.
job_asked() { [ -n "${SPANK_DATACRUMBS_ENABLE:-}" ]; }

# slurm_option ARG: takes one Slurm option, else the shared ones; fails when ARG is neither.
slurm_option() {
    case "$1" in
        --slurm-bin=*) slurm_bin="${1#*=}" ;;
        *) shared_option "$1" ;;
    esac
}

# check_slurm_settings SECONDS...: the shared checks, then the client's Slurm request.
check_slurm_settings() {
    check_settings "$@" || return 1
    case "$slurm_job" in
        ''|*[!0-9]*) say "$hook hook: SLURM_JOB_ID must be a decimal job id, not '${SLURM_JOB_ID:-}' (run it as slurm.conf's $hook)"; return 1 ;;
    esac
    ctl_opts+=(--scheduler slurm)
    return 0
}

# slurm COMMAND ARGS...: a Slurm command, bounded.
slurm() {
    local cmd="$1"
    shift
    [ -n "$slurm_bin" ] && cmd="$slurm_bin/$cmd"
    timeout -k 2 "$slurm_timeout" "$cmd" "$@" </dev/null
}

# note_line TEXT: one line on the hook's output and in the node's syslog/journal (slurmd
# keeps no prolog output), tagged datacrumbs.
note_line() {
    echo "$1"
    timeout 5 logger -t datacrumbs -- "$1" >/dev/null 2>&1 || true
}

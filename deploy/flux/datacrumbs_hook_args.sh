# datacrumbs_hook_args.sh: the settings the two Flux hooks share, sourced by
# datacrumbs_service_run.sh (prolog) and datacrumbs_service_stop.sh (epilog) from the
# directory they are installed in (/sbin). Not a program: it sets variables and defines
# functions, nothing else. Before sourcing, a hook sets `hook` (prolog or epilog, for its
# messages) and `wait_s` (its own default wait, from its own variable).
#
# Shared settings (option, or environment):
#   --ctl=PATH            DATACRUMBSCTL: client path (default /usr/bin/datacrumbsctl)
#   --socket=PATH         DATACRUMBS_SOCKET: the daemon's socket (default: the client's)
#   --retry-for=SECONDS   DATACRUMBS_RETRY_FOR: seconds the client keeps trying while the
#                         daemon restarts (default: datacrumbsctl's own, 15)
#   --on-failure=POLICY   DATACRUMBS_ON_FAILURE: continue|fail (default continue)
#   --timeout=SECONDS     seconds to wait for the daemon (each hook's own default)

ctl="${DATACRUMBSCTL:-/usr/bin/datacrumbsctl}"
socket="${DATACRUMBS_SOCKET:-}"
retry_for="${DATACRUMBS_RETRY_FOR:-}"
policy="${DATACRUMBS_ON_FAILURE:-continue}"
# The job id in the one form of every datacrumbs message: f58 with an ASCII f.
job="${FLUX_JOB_ID:-unknown-job}"
job="${job/#ƒ/f}"

say() { printf 'datacrumbs: %s: %s\n' "$job" "$*"; }

# shared_option ARG: takes one shared option; fails when ARG is not one of them.
shared_option() {
    case "$1" in
        --on-failure=*) policy="${1#*=}" ;;
        --ctl=*) ctl="${1#*=}" ;;
        --socket=*) socket="${1#*=}" ;;
        --retry-for=*) retry_for="${1#*=}" ;;
        --timeout=*) wait_s="${1#*=}" ;;
        *) return 1 ;;
    esac
}

# check_settings SECONDS...: the policy and the given timeouts, with a message that names
# the problem; then ctl_opts, the client's own settings, passed on only when given.
check_settings() {
    local n
    case "$policy" in
        continue|fail) ;;
        *) say "$hook hook: on-failure must be continue or fail, not '$policy'"; return 1 ;;
    esac
    for n in "$@"; do
        case "$n" in
            ''|*[!0-9]*) say "$hook hook: timeouts must be whole seconds, not '$n'"; return 1 ;;
        esac
    done
    ctl_opts=()
    [ -n "$socket" ] && ctl_opts+=(--socket "$socket")
    [ -n "$retry_for" ] && ctl_opts+=(--retry-for "$retry_for")
    return 0
}

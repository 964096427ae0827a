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
#                         daemon restarts (default: datacrumbsctl's own, 5)
#   --on-failure=POLICY   DATACRUMBS_ON_FAILURE: continue|fail (default continue)
#   --timeout=SECONDS     seconds to wait for the daemon (each hook's own default)
#   --flux=PATH           DATACRUMBS_FLUX: flux command for job exceptions and, when the
#                         daemon cannot be asked, the jobspec (default: flux on PATH, else
#                         <prefix>/bin/flux of the Flux named by FLUX_EXEC_PATH, as under
#                         flux-imp with /opt/flux)

ctl="${DATACRUMBSCTL:-/usr/bin/datacrumbsctl}"
socket="${DATACRUMBS_SOCKET:-}"
retry_for="${DATACRUMBS_RETRY_FOR:-}"
flux="${DATACRUMBS_FLUX:-}"
# Seconds for each flux command the hooks run (job raise, getattr, job info).
readonly flux_timeout=10
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
        --flux=*) flux="${1#*=}" ;;
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
    retry_opts=()
    [ -n "$retry_for" ] && retry_opts+=(--retry-for "$retry_for")
    return 0
}

# flux-imp's PATH lacks a Flux installed under a prefix; FLUX_EXEC_PATH names its libexec.
find_flux() {
    local dir
    [ -n "$flux" ] && return
    if command -v flux >/dev/null 2>&1; then flux=flux; return; fi
    local IFS=:
    for dir in ${FLUX_EXEC_PATH:-}; do
        case "$dir" in
            */libexec/flux/cmd)
                if [ -x "${dir%/libexec/flux/cmd}/bin/flux" ]; then flux="${dir%/libexec/flux/cmd}/bin/flux"; return; fi ;;
        esac
    done
    flux=flux
}

# Flux commands as the instance owner: under flux-imp the hook is root, which a multi-user
# instance admits only with access.allow-root-owner; its owner (FLUX_OWNER_USERID) it always
# admits, and the owner may read and raise exceptions on every job.
as_owner() {
    local owner="${FLUX_OWNER_USERID:-}" gid
    case "$owner" in ''|0|*[!0-9]*) "$@"; return ;; esac
    [ "$(id -u)" = 0 ] || { "$@"; return; }
    gid="$(getent passwd "$owner" | cut -d: -f4)"
    setpriv --reuid="$owner" --regid="${gid:-$(id -g)}" --clear-groups -- "$@"
}

# job_asked: whether the job asked for tracing, from its jobspec. Only for when the daemon
# cannot be asked (the daemon reads the jobspec otherwise): a job that did not ask then passes
# with no word. Succeeds when it asked and when nobody can tell (in doubt, it asked).
asked=""
job_asked() {
    local spec rc=0
    if [ -z "$asked" ]; then
        find_flux
        if spec="$(as_owner timeout -k 2 "$flux_timeout" "$flux" job info "${FLUX_JOB_ID:-$job}" jobspec 2>/dev/null)"; then
            printf '%s' "$spec" | "$ctl" asks-tracing >/dev/null 2>&1 || rc=$?
        fi
        asked=yes
        [ "$rc" -eq 1 ] && asked=no
    fi
    [ "$asked" = yes ]
}

# The client's backstop, behind its own --timeout, in case it wedges: seconds beyond the wait,
# then seconds between SIGTERM and SIGKILL.
readonly client_backstop_s=10
readonly client_kill_s=5
client=""   # the client's pid while it runs, for the hooks' signal traps

out=""      # the file that holds the client's output
cleanup() { [ -n "$out" ] && rm -f -- "$out"; }

# ask_daemon CLIENT-OPTIONS...: runs `datacrumbsctl $hook` and sets rc and line (its first
# line). In the background and waited for, so that a signal runs the hook's trap at once;
# timeout(1) is the backstop behind the client's own --timeout, in case the client wedges
# (SIGTERM, then SIGKILL: rc 124 or 137). Not a pipe from a process substitution: bash 5.2's
# `wait` on one that has already ended can return a wrong status (measured: -1, about once in
# 200 hooks run 6 at a time), which would pass the client's stderr off as its answer.
ask_daemon() {
    rc=0
    line=""
    out="$(mktemp "${TMPDIR:-/tmp}/datacrumbs-$hook.XXXXXX" 2>/dev/null)" || out=""
    timeout -k "$client_kill_s" "$((wait_s + client_backstop_s))" "$ctl" "$hook" "${ctl_opts[@]}" "$@" --timeout "$wait_s" \
        >"${out:-/dev/null}" 2>&1 </dev/null &
    client=$!
    wait "$client" || rc=$?
    client=""
    [ -n "$out" ] && IFS= read -r line <"$out"
    cleanup
}

# handed_over: whether `datacrumbsctl hook prolog|epilog` (the Flux hooks' front, Host/Ctl/HookFront.cs)
# ran this script in its own place (exec): then it asked the daemon once already and left its answer
# (rc, first line, seconds spent) here, or it was interrupted by a signal before the answer came.
# The variables are this script's only: they are removed so that nothing it runs inherits them.
handed_over() {
    local first_rc="${DATACRUMBS_FIRST_RC-}" first_line="${DATACRUMBS_FIRST_LINE-}" first_s="${DATACRUMBS_FIRST_SECONDS-}"
    local signal="${DATACRUMBS_INTERRUPTED-}"
    unset DATACRUMBS_FIRST_RC DATACRUMBS_FIRST_LINE DATACRUMBS_FIRST_SECONDS DATACRUMBS_INTERRUPTED
    case "$signal" in TERM|INT) "${hook}_interrupted" "$signal" ;; esac
    case "$first_rc$first_s" in ''|*[!0-9]*) return 1 ;; esac
    [ -n "$first_rc" ] && [ -n "$first_s" ] || return 1
    rc=$first_rc
    line=$first_line
    started=$((SECONDS - first_s))
}

# call_daemon: asks the daemon, first without the client's retry window. While the daemon is
# down (not reachable, exit 3; or "unavailable", exit 5 sooner than the wait could run out),
# a job that did not ask for tracing passes at once and without a word: the hook exits 0.
# Only a job that asked waits for a restarting daemon, within what is left of the wait.
call_daemon() {
    local started=$SECONDS
    handed_over || ask_daemon --retry-for 0
    if [ "$rc" = 3 ] || { [ "$rc" = 5 ] && [ $((SECONDS - started)) -lt "$wait_s" ]; }; then
        job_asked || exit 0
        wait_s=$((wait_s - (SECONDS - started)))
        [ "$wait_s" -gt 0 ] || wait_s=1
        ask_daemon "${retry_opts[@]}"
    fi
}

# note_line LINE: how a hook shows a line (the Slurm hooks also send it to syslog).
note_line() { echo "$1"; }

# The hints a failing call's message gives; each scheduler's hooks name their own.
caller_hint="run the hook as root"
usage_hint="is the job id set?"

# prolog_outcome: what the prolog does with the client's answer (rc, line), the same for every
# scheduler. The prolog hook defines how its scheduler is told: runs_untraced LINE (say so and
# exit 0), cancel_job LINE (policy fail) and unreachable LINE (the daemon could not be asked:
# the hook's own policy). Specs/Flux/HookExitCodeSpecs hold the arms to datacrumbsctl's codes.
prolog_outcome() {
    [ "$rc" = 3 ] && line="datacrumbs: $job: failed: tracing unavailable on $(uname -n): the datacrumbs daemon is not running (${line#datacrumbs: })"
    case "$rc" in
        0)  [ -n "$line" ] && echo "$line"; exit 0 ;;
        10) runs_untraced "${line:-datacrumbs: $job: failed: tracing could not start}" ;;
        1)  cancel_job "${line:-datacrumbs: $job: failed: tracing could not start}" ;;
        3)  unreachable "${line:-datacrumbs: $job: failed: the datacrumbs daemon is not reachable}" ;;
        5)  unreachable "${line:-datacrumbs: $job: failed: no answer from the datacrumbs daemon in ${wait_s} s}" ;;
        6)  unreachable "${line:-datacrumbs: $job: failed: the datacrumbs daemon rejected the request}" ;;
        4)  unreachable "${line:-datacrumbs: $job: failed: the datacrumbs daemon refused this caller ($caller_hint)}" ;;
        2)  unreachable "${line:-datacrumbs: $job: failed: datacrumbsctl usage error ($usage_hint)}" ;;
        124|137) unreachable "datacrumbs: $job: failed: $ctl did not finish within $((wait_s + client_backstop_s)) s" ;;
        126|127) unreachable "datacrumbs: $job: failed: cannot run $ctl (exit $rc)" ;;
        *)  unreachable "${line:-datacrumbs: $job: failed: $ctl exited with $rc}" ;;
    esac
}

# epilog_outcome: what the epilog does with the client's answer. The epilog hook defines
# not_confirmed LINE: the daemon could not confirm the stop (its own policy).
epilog_outcome() {
    case "$rc" in
        0)  [ -n "$line" ] && echo "$line"; exit 0 ;;
        10) note_line "${line:-datacrumbs: $job: failed: the tracer could not be stopped cleanly}"; exit 0 ;;
        1)  note_line "${line:-datacrumbs: $job: failed: the tracer could not be stopped} (node drained)"; exit 1 ;;
        3)  not_confirmed "${line:-datacrumbs: $job: failed: the datacrumbs daemon is not reachable}" ;;
        5)  not_confirmed "${line:-datacrumbs: $job: failed: no answer from the datacrumbs daemon in ${wait_s} s}" ;;
        124|137) not_confirmed "datacrumbs: $job: failed: $ctl did not finish within $((wait_s + client_backstop_s)) s" ;;
        126|127) not_confirmed "datacrumbs: $job: failed: cannot run $ctl (exit $rc)" ;;
        *)  not_confirmed "${line:-datacrumbs: $job: failed: $ctl exited with $rc}" ;;
    esac
}

# prolog_interrupted SIG: SIGTERM (the job was canceled or the prolog timed out) or SIGINT.
# Stops the client, asks the daemon to undo whatever it started (bounded by cancel_s), and
# exits. The scheduler runs the epilog as well; the daemon makes the two meet harmlessly.
prolog_interrupted() {
    local rc=0
    trap '' TERM INT
    [ -n "$client" ] && kill -TERM "$client" 2>/dev/null
    timeout -k 2 "$cancel_s" "$ctl" epilog "${ctl_opts[@]}" "${retry_opts[@]}" --timeout "$cancel_s" >/dev/null 2>&1 || rc=$?
    cleanup
    note_line "datacrumbs: $job: prolog interrupted by SIG$1; asked the daemon to stop tracing (epilog exit $rc)"
    exit 143
}

# epilog_interrupted SIG: the epilog timed out. Stops waiting and goes; the daemon carries on
# stopping the tracer on its own (`datacrumbsctl status` shows what is left).
epilog_interrupted() {
    trap '' TERM INT
    [ -n "$client" ] && kill -TERM "$client" 2>/dev/null
    cleanup
    note_line "datacrumbs: $job: epilog interrupted by SIG$1; the daemon continues stopping the tracer"
    exit 143
}

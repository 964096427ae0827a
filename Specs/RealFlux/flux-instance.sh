#!/bin/bash
# flux-instance.sh {start|stop|status|restart} - the real-Flux specs' multi-user Flux "system instance"
# on ONE host: job shells run as the submitting user and prolog/epilog run as root through the setuid
# IMP, as on production clusters. Adapted from the team's flux-multiuser.sh: its own confdir and rundir
# (so it never disturbs an instance started by hand), and -a to leave root out of the instance's roles.
# Needs: /opt/flux = flux-core 0.88.0 built --with-flux-security + flux-security 0.15.0, Debian pkg munge.
# What `start` sets up (all idempotent; must run as root):
#  1. munged (Debian munge): flux-security signs each job request with MUNGE; job-ingest and the IMP
#     verify it. Started as user munge if `munge -n` fails (key /etc/munge/munge.key created if missing).
#  2. user `flux` (instance owner; useradd --system if missing); IMP /opt/flux/libexec/flux/flux-imp forced root:root 4755.
#  3. IMP config /opt/flux/etc/flux/imp/conf.d/imp.toml (path compiled into the IMP; root-owned 0644):
#     `flux` may `flux-imp exec` only /opt/flux/libexec/flux/flux-shell (as any user) and may
#     `flux-imp run prolog|epilog` -> root-owned wrappers $CONFDIR/imp-{prolog,epilog} that exec your
#     PROLOG/EPILOG command as root with PATH=/usr/sbin:/usr/bin:/sbin:/bin and only FLUX_* env
#     (FLUX_JOB_ID, FLUX_JOB_USERID, ...). The IMP insists the wrapper + its dir are root-owned, not
#     group/world-writable: that is why we exec your command from a wrapper instead of naming it directly.
#  4. broker config $CONFDIR/datacrumbs-spec-flux.toml: exec.imp, access.allow-guest-user + allow-root-owner,
#     perilog.so with per-rank prolog/epilog (default command = "flux-imp run prolog|epilog"),
#     prolog timeout 5m (Flux default 30m). A failing prolog raises a job exception and drains the
#     nodes (root may `flux resource undrain 0-1`: allow-root-owner).
#     Other *.toml you put in $CONFDIR are merged by Flux (do not redefine keys we set).
#  5. $SIZE brokers (flux start --test-size, default 2 = "2 nodes" on this host) as user flux, no initial
#     program (broker.rc2_none), sharing rundir $RUNDIR/broker (flux-owned 0755 so other users reach the
#     0777 sockets local-0..N-1). Waits until every broker is in state "run" (`flux uptime` on
#     local-N, i.e. rc1 done, job services loaded) and prints `export FLUX_URI=...`.
# Options (or env): -p|--prolog CMD (FLUX_MU_PROLOG, default none)  -e|--epilog CMD (FLUX_MU_EPILOG)
#   -c|--confdir DIR (FLUX_MU_CONFDIR=/etc/flux-mu)  -r|--rundir DIR (FLUX_MU_RUNDIR=/run/flux-mu)
#   -n|--size N (FLUX_MU_SIZE=2)  -a|--root-owner yes|no (FLUX_MU_ROOT_OWNER=yes: access.allow-root-owner). CMD is a shell command line, run as root as: exec CMD
#   (e.g. -p "/opt/ci/prolog.sh --verbose"); empty or "none" = not configured (perilog.so not loaded
#   when neither is set). `start` on a running instance with the same settings just re-prints the
#   exports; with different settings it restarts. `. $RUNDIR/env` also sets FLUX_URI.
# `stop`: flux shutdown (SIGTERM/KILL fallback), removes $RUNDIR/broker, stops munged only if `start`
#   launched it; configs stay. `status`: exit 0 if running, 3 if not.
# Users submit with e.g.: runuser -u alice -- env FLUX_URI=local:///run/flux-mu/broker/local-0 \
#   /opt/flux/bin/flux run -N2 id -u     (cwd must be readable by that user)
set -u -o pipefail

FLUX_PREFIX=/opt/flux
FLUX=$FLUX_PREFIX/bin/flux
IMP=$FLUX_PREFIX/libexec/flux/flux-imp
SHELL_PATH=$FLUX_PREFIX/libexec/flux/flux-shell
IMP_CONF_DIR=$FLUX_PREFIX/etc/flux/imp/conf.d      # compiled into flux-imp (see `strings flux-imp`)
IMP_CONF=$IMP_CONF_DIR/imp.toml
OWNER=flux

PROLOG=${FLUX_MU_PROLOG-}
EPILOG=${FLUX_MU_EPILOG-}
CONFDIR=${FLUX_MU_CONFDIR:-/etc/datacrumbs-spec-flux}
RUNDIR=${FLUX_MU_RUNDIR:-/run/datacrumbs-spec-flux}
ROOT_OWNER=${FLUX_MU_ROOT_OWNER:-yes}
SIZE=${FLUX_MU_SIZE:-2}
START_TIMEOUT=${FLUX_MU_START_TIMEOUT:-30}

die() { echo "flux-instance: error: $*" >&2; exit 1; }
log() { echo "flux-instance: $*" >&2; }

usage() {
    sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}

CMD=${1:-}; [ $# -gt 0 ] && shift
while [ $# -gt 0 ]; do
    case $1 in
        -p|--prolog)  PROLOG=$2; shift 2 ;;
        -e|--epilog)  EPILOG=$2; shift 2 ;;
        -c|--confdir) CONFDIR=$2; shift 2 ;;
        -r|--rundir)  RUNDIR=$2; shift 2 ;;
        -n|--size)    SIZE=$2; shift 2 ;;
        -a|--root-owner) ROOT_OWNER=$2; shift 2 ;;
        --prolog=*)   PROLOG=${1#*=}; shift ;;
        --epilog=*)   EPILOG=${1#*=}; shift ;;
        --confdir=*)  CONFDIR=${1#*=}; shift ;;
        --rundir=*)   RUNDIR=${1#*=}; shift ;;
        --size=*)     SIZE=${1#*=}; shift ;;
        -h|--help)    usage ;;
        *) die "unknown option $1" ;;
    esac
done
[ "$PROLOG" = none ] && PROLOG=
[ "$EPILOG" = none ] && EPILOG=
case $CONFDIR in /*) ;; *) die "--confdir must be absolute" ;; esac
case $RUNDIR in /*) ;; *) die "--rundir must be absolute" ;; esac
case $SIZE in [1-9]|[1-9][0-9]) ;; *) die "bad --size $SIZE" ;; esac
case $ROOT_OWNER in yes|no) ;; *) die "--root-owner must be yes or no, not $ROOT_OWNER" ;; esac

BROKERDIR=$RUNDIR/broker
PIDFILE=$RUNDIR/flux-start.pid
LOGFILE=$RUNDIR/flux-start.log
SUMFILE=$RUNDIR/settings
ENVFILE=$RUNDIR/env
MUNGE_OURS=$RUNDIR/munged.ours
URI=local://$BROKERDIR/local-0

# run a flux command as the instance owner against rank 0, with a clean environment
as_owner() {
    setpriv --reuid="$OWNER" --regid="$OWNER" --init-groups \
        env -i PATH=$FLUX_PREFIX/bin:/usr/bin:/bin LANG=C.UTF-8 HOME=/ FLUX_URI="$URI" "$@"
}

running_pid() {  # prints pid of our `flux start` if alive
    local pid
    [ -r "$PIDFILE" ] || return 1
    pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # guard against pid reuse: must be flux start (flux-broker execs as `flux-broker`/`flux start`)
    tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null | grep -q -- "--test-rundir=$BROKERDIR" || return 1
    echo "$pid"
}

settings_summary() {
    printf 'prolog=%s\nepilog=%s\nconfdir=%s\nrundir=%s\nsize=%s\nroot-owner=%s\n' \
        "$PROLOG" "$EPILOG" "$CONFDIR" "$RUNDIR" "$SIZE" "$ROOT_OWNER"
    # include any extra user TOML so changing it triggers a restart
    local f
    for f in "$CONFDIR"/*.toml; do
        [ -f "$f" ] && [ "$f" != "$CONFDIR/datacrumbs-spec-flux.toml" ] && cat "$f"
    done | md5sum | cut -c1-32
}

print_exports() {
    echo "export FLUX_URI=$URI"
    echo "export PATH=$FLUX_PREFIX/bin:\$PATH"
}

ensure_munge() {
    if munge -n </dev/null >/dev/null 2>&1; then return 0; fi
    command -v munged >/dev/null || die "munged not installed (apt-get install munge)"
    if [ ! -s /etc/munge/munge.key ]; then
        if command -v mungekey >/dev/null; then mungekey --create --force >/dev/null
        else dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; fi
        chown munge:munge /etc/munge/munge.key; chmod 600 /etc/munge/munge.key
    fi
    install -d -o munge -g munge -m 0755 /run/munge
    setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged || die "munged failed to start"
    for _ in $(seq 50); do munge -n </dev/null >/dev/null 2>&1 && break; sleep 0.1; done
    munge -n </dev/null >/dev/null 2>&1 || die "munged not answering"
    cat /run/munge/munged.pid > "$MUNGE_OURS" 2>/dev/null || true
}

write_wrapper() {  # $1=name $2=command
    local f=$CONFDIR/imp-$1
    {
        echo "#!/bin/sh"
        echo "# generated by flux-instance.sh: run as root by 'flux-imp run $1'"
        echo "exec $2"
    } > "$f.tmp"
    chown root:root "$f.tmp"; chmod 0755 "$f.tmp"; mv -f "$f.tmp" "$f"
}

write_configs() {
    install -d -o root -g root -m 0755 "$CONFDIR" "$IMP_CONF_DIR"
    local perilog=""
    rm -f "$CONFDIR/imp-prolog" "$CONFDIR/imp-epilog"
    {
        echo "# generated by flux-instance.sh (flux-imp reads ONLY $IMP_CONF_DIR/*.toml)"
        echo "[exec]"
        echo "allowed-users = [ \"$OWNER\" ]"
        echo "allowed-shells = [ \"$SHELL_PATH\" ]"
        if [ -n "$PROLOG" ]; then
            write_wrapper prolog "$PROLOG"
            printf '\n[run.prolog]\nallowed-users = [ "%s" ]\nallowed-environment = [ "FLUX_*" ]\npath = "%s"\n' \
                "$OWNER" "$CONFDIR/imp-prolog"
        fi
        if [ -n "$EPILOG" ]; then
            write_wrapper epilog "$EPILOG"
            printf '\n[run.epilog]\nallowed-users = [ "%s" ]\nallowed-environment = [ "FLUX_*" ]\npath = "%s"\n' \
                "$OWNER" "$CONFDIR/imp-epilog"
        fi
    } > "$IMP_CONF.tmp"
    chown root:root "$IMP_CONF.tmp"; chmod 0644 "$IMP_CONF.tmp"; mv -f "$IMP_CONF.tmp" "$IMP_CONF"

    {
        echo "# generated by flux-instance.sh"
        echo "[exec]"
        echo "imp = \"$IMP\""
        echo
        echo "[access]"
        echo "allow-guest-user = true"
        [ "$ROOT_OWNER" = yes ] && echo "allow-root-owner = true"
        if [ -n "$PROLOG$EPILOG" ]; then
            echo
            echo "[job-manager]"
            echo "plugins = [ { load = \"perilog.so\" } ]"
            # default command is [ "<exec.imp>", "run", "prolog|epilog" ]
            [ -n "$PROLOG" ] && printf '\n[job-manager.prolog]\nper-rank = true\ntimeout = "5m"\n'
            [ -n "$EPILOG" ] && printf '\n[job-manager.epilog]\nper-rank = true\n'
        fi
    } > "$CONFDIR/datacrumbs-spec-flux.toml.tmp"
    chmod 0644 "$CONFDIR/datacrumbs-spec-flux.toml.tmp"; mv -f "$CONFDIR/datacrumbs-spec-flux.toml.tmp" "$CONFDIR/datacrumbs-spec-flux.toml"
}

do_stop() {
    local pid
    if pid=$(running_pid); then
        log "stopping flux instance (flux start pid $pid)"
        as_owner timeout 20 $FLUX shutdown --quiet --skip-gc >>"$LOGFILE" 2>&1 || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            log "flux shutdown did not finish, sending SIGTERM to $pid"
            kill -TERM "$pid" 2>/dev/null
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        fi
    fi
    rm -f "$PIDFILE" "$SUMFILE" "$ENVFILE"
    rm -rf "$BROKERDIR"
    if [ -s "$MUNGE_OURS" ]; then   # stop munged only if this script started it
        pid=$(cat "$MUNGE_OURS")
        if [ "$(cat /proc/$pid/comm 2>/dev/null)" = munged ]; then
            kill -TERM "$pid" 2>/dev/null
            for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        fi
        rm -f "$MUNGE_OURS"
    fi
    return 0
}

# true when every broker has finished rc1 (state "run": job-ingest, job-manager, sched... loaded)
all_ranks_run() {
    local r
    for r in $(seq 0 $((SIZE - 1))); do
        [ -S "$BROKERDIR/local-$r" ] || return 1
        as_owner env FLUX_URI="local://$BROKERDIR/local-$r" $FLUX uptime 2>/dev/null |
            grep -q '^ *[0-9:]* run ' || return 1
    done
}

do_start() {
    local pid t0 want
    t0=$(date +%s%N)
    [ "$(id -u)" = 0 ] || die "must run as root"
    [ -x "$FLUX" ] && [ -e "$IMP" ] || die "$FLUX or $IMP missing"
    want=$(settings_summary)
    if pid=$(running_pid); then
        if [ "$(cat "$SUMFILE" 2>/dev/null)" = "$want" ]; then
            log "already running (pid $pid)"
            print_exports
            return 0
        fi
        log "running with different settings: restarting"
        do_stop
    fi
    getent passwd "$OWNER" >/dev/null || useradd --system --user-group --no-create-home \
        --home-dir / --shell /usr/sbin/nologin "$OWNER" || die "useradd $OWNER failed"
    if [ "$(stat -c %u:%a "$IMP")" != "0:4755" ]; then
        chown root:root "$IMP" && chmod 4755 "$IMP" || die "cannot make $IMP setuid root"
    fi
    install -d -o root -g root -m 0755 "$RUNDIR"
    ensure_munge
    write_configs
    rm -rf "$BROKERDIR"
    install -d -o "$OWNER" -g "$OWNER" -m 0755 "$BROKERDIR"
    : > "$LOGFILE"
    # flux start runs $SIZE brokers (PMI bootstrap) as $OWNER; setsid detaches it from our terminal
    setsid setpriv --reuid="$OWNER" --regid="$OWNER" --init-groups \
        env -i PATH=$FLUX_PREFIX/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/ TMPDIR=/tmp \
        $FLUX start --test-size="$SIZE" --test-rundir="$BROKERDIR" --config-path="$CONFDIR" \
            -Sbroker.rc2_none=1 -Slog-stderr-level=4 \
        </dev/null >>"$LOGFILE" 2>&1 &
    pid=$!
    echo "$pid" > "$PIDFILE"
    # wait until rank 0 answers and all $SIZE brokers have joined the overlay
    local deadline=$(( $(date +%s) + START_TIMEOUT )) ok=
    while [ "$(date +%s)" -lt "$deadline" ]; do
        kill -0 "$pid" 2>/dev/null || break
        if all_ranks_run; then ok=1; break; fi
        sleep 0.1
    done
    if [ -z "$ok" ]; then
        log "instance failed to come up; last log lines:"; tail -20 "$LOGFILE" >&2
        do_stop; exit 1
    fi
    echo "$want" > "$SUMFILE"
    print_exports > "$ENVFILE"
    t0=$(( ($(date +%s%N) - t0) / 1000000 ))
    log "started in $((t0 / 1000)).$(printf %03d $((t0 % 1000)))s: $SIZE brokers as $OWNER, pid $pid, log $LOGFILE"
    print_exports
}

do_status() {
    local pid rc=0
    if pid=$(running_pid); then
        echo "running: flux start pid $pid, FLUX_URI=$URI"
        as_owner $FLUX overlay status --summary --timeout=2s 2>&1 | sed 's/^/  overlay: /'
        as_owner $FLUX resource list 2>&1 | sed 's/^/  /'
        as_owner $FLUX jobtap list 2>&1 | tr '\n' ' ' | sed 's/^/  jobtap: /'; echo
    else
        echo "not running"; rc=3
    fi
    echo "settings: $(cat "$SUMFILE" 2>/dev/null | tr '\n' ' ')"
    echo "IMP: $(stat -c '%A %U' "$IMP" 2>/dev/null) $IMP ; config $IMP_CONF"
    if munge -n </dev/null >/dev/null 2>&1; then echo "munge: up"; else echo "munge: DOWN"; fi
    return $rc
}

case $CMD in
    start)   do_start ;;
    stop)    [ "$(id -u)" = 0 ] || die "must run as root"; do_stop ;;
    restart) [ "$(id -u)" = 0 ] || die "must run as root"; do_stop; do_start ;;
    status)  do_status ;;
    *) usage ;;
esac

#!/bin/bash
# measure-hook-overhead.sh BIN_DIR [CTL] - what the DataCrumbs prolog and epilog add to a job on
# the real multi-user Flux (flux-instance.sh beside this file). Four series of N (default 50)
# `flux run -N2 true` as user dcalice:
#   none       no prolog/epilog configured
#   true       /bin/true as prolog and epilog, through flux-imp: the floor any site hook pays
#   untraced   our hooks (through flux-imp, as in production), a job that did not ask; HOOKS=front
#              (default) runs them as job-manager.toml ships them, `datacrumbsctl hook prolog|epilog`,
#              HOOKS=script the hook scripts directly (the way before the front)
#   traced     our hooks, a job that asked, with a probe file signed for dcalice
# For each: the median wall time of `flux run`, and of the prolog and epilog spans in the job's
# eventlog (prolog-start..prolog-finish, epilog-start..epilog-finish). Then the stand-in tracer's
# own time to ready (started directly, N times), the CPU each hook call costs (cpu_series), and
# the differences the issue's targets name:
# our prolog/epilog minus the /bin/true floor, and the traced prolog beyond the tracer's own time.
# BIN_DIR holds the built datacrumbsd and stand-in tracer (Specs/bin/Debug/net10.0); CTL the
# client the hooks run (default BIN_DIR/datacrumbsctl, the JIT build; pass a NativeAOT publish
# for production figures). RESULTS=FILE also writes the medians as TSV (name, ms) for bench.sh.
# Root. Takes the real-Flux specs' machine lock (waits for a running suite). Leaves nothing
# running. Several minutes.
set -euo pipefail
bin=$(cd "${1:?usage: $0 BIN_DIR [CTL]}" && pwd)
ctl=$(realpath "${2:-$bin/datacrumbsctl}")
here=$(cd "$(dirname "$0")" && pwd)
deploy=$(cd "$here/../../deploy/flux" && pwd)
flux=/opt/flux/bin/flux
n=${N:-50}
results=${RESULTS:-}
lock=/run/lock/datacrumbs-realflux-specs.lock

# The instance is the machine's: never run it under a spec suite (or the other way round).
exec 9>>"$lock"
flock --exclusive --wait 3600 9 || { echo "the real Flux is busy ($lock held for an hour)" >&2; exit 1; }

work=$(mktemp -d /tmp/datacrumbs-measure.XXXXXX)
chmod 755 "$work"
daemon=""
cleanup() {
    "$here/flux-instance.sh" stop >/dev/null 2>&1 || true
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/jobs"
chmod 1777 "$work/jobs"
# A site secret, and a probe file the stand-in accepts (signed for dcalice): a traced job then
# really starts a tracer and waits for its ready file.
# shellcheck source=measure-daemon.sh
. "$here/measure-daemon.sh"
start_measure_daemon "$work" "$bin" "$(id -u dcalice)" dcalice || exit 1

as_user() {
    runuser -u dcalice -- env -i -C "$work/jobs" PATH=/opt/flux/bin:/usr/bin:/bin LANG=C.UTF-8 \
        FLUX_URI="$uri" FLUX_CLI_PLUGINPATH="$deploy/cli/plugins" "$flux" "$@"
}

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m}'; }
declare -A fig
fig[load.start]=$(cut -d' ' -f1 /proc/loadavg)

# one series: $1 name, rest: extra flux run options
series() {
    local name=$1; shift
    : >"$work/wall" ; : >"$work/prolog" ; : >"$work/epilog"
    for _ in $(seq "$n"); do
        local t0 t1 id log
        t0=$(date +%s%N)
        as_user run -N2 "$@" true
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000 )) | awk '{printf "%.1f\n", $1/1000}' >>"$work/wall"
        id=$(as_user jobs -a -n -c1 -o '{id}')
        as_user job wait-event --timeout=120 "$id" clean >/dev/null
        log=$(as_user job eventlog "$id")
        if grep -q 'exception' <<<"$log"; then echo "job $id of series $name raised an exception:" >&2; echo "$log" >&2; exit 1; fi
        awk '/prolog-start/{s=$1} /prolog-finish/{printf "%.1f\n", ($1-s)*1000}' <<<"$log" >>"$work/prolog"
        awk '/epilog-start/{s=$1} /epilog-finish/{printf "%.1f\n", ($1-s)*1000}' <<<"$log" >>"$work/epilog"
    done
    fig[$name.run]=$(median <"$work/wall")
    fig[$name.prolog]=$( [ -s "$work/prolog" ] && median <"$work/prolog" || echo 0)
    fig[$name.epilog]=$( [ -s "$work/epilog" ] && median <"$work/epilog" || echo 0)
    printf '%-10s flux run %7s ms   prolog %6s ms   epilog %6s ms   (medians of %d)\n' "$name" \
        "${fig[$name.run]}" "${fig[$name.prolog]}" "${fig[$name.epilog]}" "$n"
}

# The stand-in tracer's own time to ready: from its start to its ready file, started directly.
tracer_ready() {
    python3 - "$bin/datacrumbs-standin-tracer" "$work/jobs/probes.json.gz" "$work" "$n" <<'EOF'
import os, signal, subprocess, sys, time
tracer, probes, work, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
env = {"STANDIN_SECRET_FILE": work + "/secret", "STANDIN_RUN_DIR": work + "/run", "PATH": "/usr/bin:/bin"}
spans = []
for i in range(n):
    ready = "%s/run/datacrumbs-measure%d.ready" % (work, i)
    t0 = time.monotonic()
    p = subprocess.Popen([tracer, probes, "measure%d" % i, "dcalice"], env=env, stderr=subprocess.DEVNULL)
    deadline = t0 + 60
    while not os.path.exists(ready):   # 0.2 ms steps: the figure's resolution
        if p.poll() is not None or time.monotonic() > deadline:
            sys.exit("the stand-in tracer did not become ready")
        time.sleep(0.0002)
    spans.append((time.monotonic() - t0) * 1000)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)
spans.sort()
print("%.1f" % ((spans[(n - 1) // 2] + spans[n // 2]) / 2))
EOF
}

# CPU per hook call, which the machine's load hardly changes (wall times above do): the hooks
# run directly, as flux-imp runs them, a prolog then an epilog for each of N finished untraced
# jobs of dcalice that the daemon has never seen, submitted to an instance without hooks (each job
# once: the daemon answers a repeated prolog of a job it knows without reading the jobspec again); the CPU of the hook's process tree (getrusage of reaped children)
# and of the daemon (its own and its reaped children's: the flux processes it runs;
# /proc/PID/stat, 10 ms ticks summed over N calls). /bin/true the same way is the floor.
cpu_series() {
    local ids id
    # jobs of an instance without hooks: the daemon has never seen them, as a new job's prolog
    start --prolog none --epilog none
    ids=$(as_user submit --cc="1-$n" -N2 true)
    for id in $ids; do as_user job wait-event --timeout=120 "$id" clean >/dev/null; done
    python3 - "$daemon" "$n" "$uri" "$(id -u flux)" "$(id -u dcalice)" \
        "$prolog_cmd" "$epilog_cmd" "$ids" <<'PY'
import os, resource, subprocess, sys
daemon, n, uri, owner, user, prolog, epilog, jobs = sys.argv[1], int(sys.argv[2]), *sys.argv[3:9]
jobs = jobs.split()
tick = os.sysconf("SC_CLK_TCK")
def daemon_cpu():
    f = open("/proc/%s/stat" % daemon).read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in f[11:15]) / tick   # utime stime cutime cstime
def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
def call(cmd, job):
    env = {"FLUX_JOB_ID": job, "FLUX_URI": uri, "FLUX_OWNER_USERID": owner, "FLUX_JOB_USERID": user,
           "FLUX_JOB_RANKS": "0-1", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "USER": "root"}
    d0, c0 = daemon_cpu(), children_cpu()
    r = subprocess.run(cmd.split(), env=env, cwd="/", stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0 or r.stdout:
        sys.exit("%s for %s: exit %d: %s" % (cmd, job, r.returncode, r.stdout.decode(errors="replace")))
    return children_cpu() - c0, daemon_cpu() - d0
total = {k: [0.0, 0.0] for k in ("true", "prolog", "epilog")}
for job in jobs:
    for name, cmd in (("true", "/bin/true"), ("prolog", prolog), ("epilog", epilog)):
        hook, d = call(cmd, job)
        total[name][0] += hook
        total[name][1] += d
for name, (hook, d) in total.items():
    print("cpu.%s.hook\t%.1f" % (name, hook / len(jobs) * 1000))
    print("cpu.%s.daemon\t%.1f" % (name, d / len(jobs) * 1000))
PY
}

start() { uri=$("$here/flux-instance.sh" start --root-owner no "$@" 2>/dev/null | sed -n 's/^export FLUX_URI=//p'); }

hooks="--ctl=$ctl --socket=$work/run/hooks.sock"
# HOOKS=front (default): the job-manager runs `datacrumbsctl hook prolog|epilog` (no shell unless the
# answer needs the script), as deploy/flux/job-manager.toml ships; HOOKS=script: the scripts themselves.
case "${HOOKS:-front}" in
    front)  prolog_cmd="$ctl hook prolog --script=$deploy/datacrumbs_service_run.sh $hooks"
            epilog_cmd="$ctl hook epilog --script=$deploy/datacrumbs_service_stop.sh $hooks" ;;
    script) prolog_cmd="$deploy/datacrumbs_service_run.sh $hooks"
            epilog_cmd="$deploy/datacrumbs_service_stop.sh $hooks" ;;
    *) echo "HOOKS must be front or script, not '$HOOKS'" >&2; exit 2 ;;
esac
echo "hooks: ${HOOKS:-front}: prolog $prolog_cmd"
if [ "${ONLY:-}" != cpu ]; then
start --prolog none --epilog none
series none
start --prolog /bin/true --epilog /bin/true
series true
start --prolog "$prolog_cmd" --epilog "$epilog_cmd"
series untraced
series traced --datacrumbs-enable --datacrumbs-probe-file probes.json.gz
fi
cpu=$(cpu_series)
while IFS=$'\t' read -r k v; do fig[$k]=$v; done <<<"$cpu"
printf 'cpu per call (ms): /bin/true %s; prolog hook %s + daemon %s; epilog hook %s + daemon %s (means over %d untraced jobs, each once)\n' \
    "${fig[cpu.true.hook]}" "${fig[cpu.prolog.hook]}" "${fig[cpu.prolog.daemon]}" "${fig[cpu.epilog.hook]}" "${fig[cpu.epilog.daemon]}" "$n"
fig[tracer.ready]=$(tracer_ready)
echo "stand-in tracer's own time to ready: ${fig[tracer.ready]} ms (median of $n, started directly)"
if [ "${ONLY:-}" != cpu ]; then
sub() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a - b}'; }
fig[untraced.prolog.over-true]=$(sub "${fig[untraced.prolog]}" "${fig[true.prolog]}")
fig[untraced.epilog.over-true]=$(sub "${fig[untraced.epilog]}" "${fig[true.epilog]}")
fig[untraced.run.over-none]=$(sub "${fig[untraced.run]}" "${fig[none.run]}")
fig[untraced.run.over-true]=$(sub "${fig[untraced.run]}" "${fig[true.run]}")
fig[traced.prolog.over-true-and-ready]=$(sub "$(sub "${fig[traced.prolog]}" "${fig[true.prolog]}")" "${fig[tracer.ready]}")
echo "untraced: prolog ${fig[untraced.prolog.over-true]} ms and epilog ${fig[untraced.epilog.over-true]} ms above /bin/true through flux-imp;" \
     "flux run ${fig[untraced.run.over-none]} ms above no hooks, ${fig[untraced.run.over-true]} ms above /bin/true"
echo "traced: prolog ${fig[traced.prolog.over-true-and-ready]} ms beyond the /bin/true floor and the tracer's own time to ready"
fi
fig[load.end]=$(cut -d' ' -f1 /proc/loadavg)
echo "load average (1 min) at the start ${fig[load.start]}, at the end ${fig[load.end]}"
if [ -n "$results" ]; then
    for k in "${!fig[@]}"; do printf '%s\t%s\n' "$k" "${fig[$k]}"; done | sort >"$results"
    printf 'jobs\t%s\n' "$n" >>"$results"
fi

#!/bin/bash
# measure-jobspec-source.sh BIN_DIR CTL [N] - what the daemon's jobspec read costs, libflux-core
# (FluxLibrary true) against a `flux job info` process (false): in a single-user test instance
# (`flux start --test-size=1`, the caller its owner, no hooks) N+30 finished jobs per daemon, then
# a prolog and an epilog for each, sent with the client directly (the first 30 warm the daemon's
# JIT); prints the daemon's CPU per pair (its own and its reaped children's, /proc/PID/stat) and
# the median wall time of the client's prolog. Two rounds of each, alternating. Root; needs /opt/flux.
set -euo pipefail
bin=$(cd "${1:?usage: $0 BIN_DIR CTL [N]}" && pwd)
ctl=$(realpath "${2:?usage: $0 BIN_DIR CTL [N]}")
n=${3:-100}
flux=/opt/flux/bin/flux
work=$(mktemp -d /tmp/datacrumbs-jobspec-source.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat >"$work/inside.sh" <<INSIDE
#!/bin/bash
set -euo pipefail
for lib in true false true false; do
  w=$work/\$lib; rm -rf \$w; mkdir -p \$w/run
  printf '{"RunDir":"%s/run","Backend":"Process","Log":"Console","Tracer":["$bin/datacrumbs-standin-tracer"],"FluxCommand":"$flux","FluxLibrary":%s,"Probes":{"RequireSignature":false},"Metrics":{"TextfileDirectory":""}}' \$w \$lib >\$w/d.json
  $bin/datacrumbsd --config \$w/d.json >\$w/log 2>&1 & d=\$!
  for _ in \$(seq 300); do [ -S \$w/run/hooks.sock ] && break; sleep 0.1; done   # start-up only
  ids=\$($flux submit --cc=1-$((n + 30)) true)
  $flux queue drain
  python3 - \$d \$w/run/hooks.sock "\$FLUX_URI" \$lib $ctl \$ids <<'PY'
import os, statistics, subprocess, sys, time
d, sock, uri, lib, ctl, *jobs = sys.argv[1:]
tick = os.sysconf("SC_CLK_TCK")
cpu = lambda: sum(int(x) for x in open("/proc/%s/stat" % d).read().rsplit(")", 1)[1].split()[11:15]) / tick
def call(sub, job):
    env = {"FLUX_JOB_ID": job, "FLUX_URI": uri, "FLUX_JOB_USERID": str(os.getuid()), "PATH": "/usr/bin:/bin"}
    t0 = time.monotonic()
    r = subprocess.run([ctl, sub, "--socket", sock, "--retry-for", "0"], env=env, capture_output=True)
    if r.returncode != 0 or r.stdout:
        sys.exit("%s %s: exit %d: %s" % (sub, job, r.returncode, r.stdout))
    return (time.monotonic() - t0) * 1000
for j in jobs[:30]: call("prolog", j); call("epilog", j)
c0, walls = cpu(), []
for j in jobs[30:]: walls.append(call("prolog", j)); call("epilog", j)
print("FluxLibrary=%s: daemon CPU per untraced prolog+epilog %.1f ms; prolog wall median %.1f ms (%d jobs, load %s)"
      % (lib, (cpu() - c0) / len(jobs[30:]) * 1000, statistics.median(walls), len(jobs[30:]), open("/proc/loadavg").read().split()[0]))
PY
  kill \$d; wait \$d || true
done
INSIDE
chmod +x "$work/inside.sh"
mkdir "$work/rd"
timeout 3600 "$flux" start --test-size=1 --test-rundir="$work/rd" "$work/inside.sh"

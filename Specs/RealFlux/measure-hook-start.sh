#!/bin/bash
# measure-hook-start.sh CTL [N] - what one start of the Flux hook costs, without Flux: the process
# alone, against a stand-in daemon that answers every request at once with "not requested" (as the
# daemon answers a job that did not ask). Runs each N times (default 100), interleaved, and prints
# the mean user CPU, system CPU and wall time of:
#   /bin/true                        the floor of any process start on this machine
#   CTL hook prolog                  the fast path every untraced job's prolog takes
#   CTL hook                         the client's own start (a usage error: no socket, no JSON)
# CTL: a NativeAOT publish of datacrumbsctl (dotnet publish Host/Ctl -c Release -o DIR). No root
# needed; touches nothing outside its temporary directory. Seconds.
set -euo pipefail
ctl=$(realpath "${1:?usage: $0 CTL [N]}")
n=${2:-100}
work=$(mktemp -d /tmp/datacrumbs-hookstart.XXXXXX)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

# The stand-in daemon: one frame in (4-byte big-endian length, JSON), one reply out.
python3 - "$work/d.sock" <<'PY' &
import json, os, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(64)
reply = json.dumps({"status": "Ok", "message": "not requested", "outcome": "NotRequested"}).encode()
while True:
    c, _ = s.accept()
    n = struct.unpack(">i", c.recv(4, socket.MSG_WAITALL))[0]
    c.recv(n, socket.MSG_WAITALL)
    c.sendall(struct.pack(">i", len(reply)) + reply)
    c.close()
PY
server=$!
for _ in $(seq 100); do [ -S "$work/d.sock" ] && break; sleep 0.05; done   # start-up only, bounded

FLUX_JOB_ID=fNH FLUX_JOB_USERID=0 DATACRUMBS_SOCKET="$work/d.sock" python3 - "$n" /bin/true "$ctl hook prolog" "$ctl hook" <<'PY'
import resource, subprocess, sys, time
n, cmds = int(sys.argv[1]), [c.split() for c in sys.argv[2:]]
total = [[0.0, 0.0, 0.0] for _ in cmds]
for _ in range(n):
    for i, cmd in enumerate(cmds):
        a, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        w, b = time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN)
        if i == 1 and r.returncode != 0:
            sys.exit("the hook's fast path failed (exit %d): is CTL a datacrumbsctl with `hook`?" % r.returncode)
        total[i][0] += b.ru_utime - a.ru_utime; total[i][1] += b.ru_stime - a.ru_stime; total[i][2] += w
print("# command\tuser_ms\tsys_ms\twall_ms (means of %d, load %s)" % (n, open("/proc/loadavg").read().split()[0]))
for cmd, (u, s, w) in zip(sys.argv[2:], total):
    print("%s\t%.1f\t%.1f\t%.1f" % (cmd.replace(sys.argv[3].split()[0], "datacrumbsctl"), u / n * 1000, s / n * 1000, w / n * 1000))
PY

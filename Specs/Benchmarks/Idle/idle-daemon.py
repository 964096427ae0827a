#!/usr/bin/env python3
"""What an idle datacrumbsd costs a compute node (issue 16): start to ready, then wakeups and CPU.

usage: idle-daemon.py DAEMON_BINARY STANDIN_TRACER [SECONDS]

Starts the daemon on the process backend in a temporary run dir, times its start (exec to the
"datacrumbsd ready" line), lets the runtime finish its start (a settling window: the runtime's
own start work, thread-pool parking and tiered JIT, has no event to await), then counts over
SECONDS (default 60) the voluntary and involuntary context switches of the daemon's threads
(threads alive the whole window, /proc/PID/task/*/status), its CPU ticks (utime + stime of
/proc/PID/stat) and its RSS. Prints one line per figure: key<TAB>value.
"""
import os, subprocess, sys, tempfile, time, json

SETTLE_SECONDS = 10

def threads(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
            start = stat.rsplit(")", 1)[1].split()[19]
            status = open(f"/proc/{pid}/task/{tid}/status").read()
        except OSError:
            continue
        out[(tid, start)] = sum(int(l.split()[1]) for l in status.splitlines() if l.split(":")[0] in ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"))
    return out

def cpu_ticks(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])

def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")

def main():
    daemon, tracer = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 60
    work = tempfile.mkdtemp(prefix="datacrumbs-idle-")
    config = os.path.join(work, "datacrumbsd.json")
    with open(config, "w") as f:
        json.dump({"RunDir": os.path.join(work, "run"), "Backend": "Process", "Log": "Console",
                   "Tracer": [tracer], "Probes": {"RequireSignature": False}}, f)
    started = time.monotonic()
    p = subprocess.Popen([daemon, "--config", config], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in p.stdout:
            if "datacrumbsd ready" in line:
                break
        else:
            sys.exit("the daemon exited before it was ready")
        print(f"start_to_ready_ms\t{(time.monotonic() - started) * 1000:.0f}")
        time.sleep(SETTLE_SECONDS)
        a, ta, t0 = threads(p.pid), cpu_ticks(p.pid), time.monotonic()
        time.sleep(seconds)  # the measurement window
        b, tb, t1 = threads(p.pid), cpu_ticks(p.pid), time.monotonic()
        wakeups = sum(b[k] - a[k] for k in a if k in b)
        print(f"idle_window_s\t{t1 - t0:.1f}")
        print(f"idle_wakeups\t{wakeups}")
        print(f"idle_wakeups_per_s\t{wakeups / (t1 - t0):.2f}")
        print(f"idle_cpu_ticks\t{tb - ta}")
        print(f"idle_rss_mib\t{rss_mib(p.pid):.1f}")
        print(f"threads\t{len(b)}")
    finally:
        p.kill()
        p.wait()
        subprocess.run(["rm", "-rf", work])

main()

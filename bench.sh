#!/bin/bash
# bench.sh: the performance benchmarks of issue 7, end to end, and the report.
#   ./bench.sh          full run (about 8 minutes on an idle 2-core machine), rewrites
#                       docs/performance.rst and docs/performance/*.png
#   ./bench.sh quick    a smoke run: one short run of each part, report to bench-results/performance.rst
# Needs root (real users, a sandboxed systemd), like ./test.sh. BENCH_RUNS (default 3) runs of each figure.
# Nothing here is part of the test suite; no test asserts on time.
set -euo pipefail
cd "$(dirname "$0")"
quick=${1:-}
runs=${BENCH_RUNS:-3}
out=bench-results
rm -rf "$out"; mkdir -p "$out"
date -u '+%Y-%m-%d %H:%M UTC' > "$out/started.txt"
cut -d' ' -f1-3 /proc/loadavg > "$out/load-start.txt"

echo "== publishing datacrumbsctl (NativeAOT) and building the harness (Release)"
dotnet publish Host/Ctl -c Release -o "$out/ctl" --nologo -v q
dotnet build Specs/Benchmarks -c Release --nologo -v q
bench=(dotnet Specs/Benchmarks/bin/Release/net10.0/datacrumbs-bench.dll)
ctl=$out/ctl/datacrumbsctl

# The real-Flux figures (Specs/RealFlux/measure-hook-overhead.sh) need the team's Flux under
# /opt/flux (.ci/run installs it); without it this part is skipped, and the report says why.
real_flux() {
  local missing=""
  [ -x /opt/flux/bin/flux ] && [ -e /opt/flux/libexec/flux/flux-imp ] || missing="no real Flux at /opt/flux (.ci/run installs it from ../shared/tools/flux)"
  [ -z "$missing" ] && ! id dcalice >/dev/null 2>&1 && missing="no user dcalice (./test.sh creates the test users)"
  if [ -n "$missing" ]; then
    echo "skipped: $missing" | tee "$out/realflux-skipped.txt"
    return 0
  fi
  N="${1:-50}" RESULTS="$out/realflux.tsv" Specs/RealFlux/measure-hook-overhead.sh Host/Daemon/bin/Release/net10.0 "$ctl" | tee "$out/realflux.txt"
  # issue 15 point 5: a job on every rank of 2, 16 and 64 brokers reading its jobspec at once
  [ "${1:-50}" -ge 50 ] && RESULTS="$out/jobspec-reads.tsv" Specs/RealFlux/measure-jobspec-reads.sh
  # issue 15 point 5: the whole prolog phase of such a job, with our hooks and one Release daemon
  [ "${1:-50}" -ge 50 ] && BIN_DIR=Host/Daemon/bin/Release/net10.0 CTL="$ctl" RESULTS="$out/prolog-phase.tsv" \
    Specs/RealFlux/measure-prolog-phase.sh
  return 0
}

if [ "$quick" = quick ]; then
  "${bench[@]}" pipeline --results "$out" --runs 1 --lifecycles 10000 --tracked 2000
  "${bench[@]}" load     --results "$out" --ctl "$ctl" --runs 1 --samples 6
  "${bench[@]}" memory   --results "$out" --ready-jobs 200 --finished 500
  "${bench[@]}" journal  --results "$out" --runs 1 --entries 20000
  "${bench[@]}" systemd  --results "$out" --ctl "$ctl" --runs 1 --samples 3
  dotnet build Host/Daemon -c Release --nologo -v q
  real_flux 5
  "${bench[@]}" report   --results "$out" --doc "$out/performance.rst"
  exit 0
fi

echo "== hot paths (BenchmarkDotNet)";        "${bench[@]}" micro    --results "$out"
echo "== actor pipeline";                     "${bench[@]}" pipeline --results "$out" --runs "$runs"
echo "== real daemon: prologs, reference";    "${bench[@]}" load     --results "$out" --ctl "$ctl" --runs "$runs"
echo "== real daemon: memory and fds";        "${bench[@]}" memory   --results "$out"
echo "== journald sink";                      "${bench[@]}" journal  --results "$out" --runs "$runs"
echo "== systemd: D-Bus backend vs systemctl"; "${bench[@]}" systemd  --results "$out" --ctl "$ctl" --runs "$runs"
cut -d' ' -f1-3 /proc/loadavg > "$out/load-end.txt"
dotnet build Host/Daemon -c Release --nologo -v q
echo "== real Flux: what the hooks add to a job (issue 15)"; real_flux
echo "== idle daemon (issue 16)"
Specs/Benchmarks/Idle/idle-daemon.py Host/Daemon/bin/Release/net10.0/datacrumbsd Host/Daemon/bin/Release/net10.0/datacrumbs-standin-tracer 60 | tee "$out/idle.tsv"
echo "== report";                             "${bench[@]}" report   --results "$out" --doc docs/performance.rst

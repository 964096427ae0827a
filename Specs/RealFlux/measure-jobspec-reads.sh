#!/bin/bash
# measure-jobspec-reads.sh [SIZES] - issue 15 point 5: every rank of a job asks for its jobspec at
# the same moment (each node's prolog). For each size (default "2 16 64"), a single-user test
# instance (`flux start --test-size=N`, the caller its owner; all brokers on this host) runs
# jobspec-read-burst.py: per round a new job on all ranks, then one read per rank at once, through
# job-info.lookup (rank 0's job-info module) and through kvs.lookup (each broker's KVS cache,
# filled along the tree). Only the reads: no hook, no daemon (the lifecycles are measured apart,
# measure-hook-overhead.sh). Prints TSV: way, size, median, min, max (ms) over ROUNDS (default 11).
# RESULTS=FILE also writes it there. Needs /opt/flux; touches no system instance. Minutes at 64.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
flux=/opt/flux/bin/flux
rounds=${ROUNDS:-11}
work=$(mktemp -d /tmp/datacrumbs-reads.XXXXXX)
trap 'rm -rf "$work"' EXIT
{
    printf '# way\tranks\tmedian_ms\tmin_ms\tmax_ms (%s rounds, load %s at the start)\n' "$rounds" "$(cut -d' ' -f1 /proc/loadavg)"
    for size in ${1:-2 16 64}; do
        mkdir "$work/$size"
        # bounded: an instance that cannot start or finish on a loaded machine fails the run, saying where
        timeout 1800 "$flux" start --test-size="$size" --test-rundir="$work/$size" -Slog-stderr-level=3 \
            "$flux" python "$here/jobspec-read-burst.py" "$work/$size" "$size" "$rounds" \
            || { echo "the $size-broker instance failed (exit $?)" >&2; exit 1; }
    done
} | tee "${RESULTS:-/dev/null}"

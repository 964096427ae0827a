"""jobspec-read-burst.py RUNDIR SIZE ROUNDS - inside a `flux start --test-size=SIZE --test-rundir=RUNDIR`
instance: what every rank of a job asking for its jobspec at the same moment costs, as every node's
prolog does. Per round: one new job spanning all ranks, then one request per rank, all sent at once
on each rank's own broker socket (local-R), timed until the last answer, two ways:
  info   job-info.lookup, served by the job-info module on rank 0 (what `flux job info` does)
  kvs    kvs.lookup of job.<id>.jobspec, which each broker serves from its own cache, filling it
         from its parent in the tree (TBON) on a miss
Prints one TSV line per way: way, size, median ms over the rounds, min, max. Used by
measure-jobspec-reads.sh."""
import statistics
import sys
import time

import flux
import flux.job
from flux.job import JobID

rundir, size, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
handles = [flux.Flux("local://%s/local-%d" % (rundir, r)) for r in range(size)]
spec = flux.job.JobspecV1.from_command(["true"], num_nodes=size, num_tasks=size)


def burst(topic, payload):
    t0 = time.monotonic()
    futures = [h.rpc(topic, payload) for h in handles]
    for f in futures:
        f.get()
    return (time.monotonic() - t0) * 1000


spans = {"info": [], "kvs": []}
for i in range(rounds):
    # a fresh job each round and each way: no broker has its jobspec cached yet
    for way in ("info", "kvs"):
        job = flux.job.submit(handles[0], spec, waitable=False)
        flux.job.event_wait(handles[0], job, "clean")  # bounded by the caller's timeout
        if way == "info":
            spans[way].append(burst("job-info.lookup", {"id": int(job), "keys": ["jobspec"], "flags": 0}))
        else:
            key = JobID(job).kvs + ".jobspec"
            spans[way].append(burst("kvs.lookup", {"key": key, "flags": 0, "namespace": "primary"}))
for way, s in spans.items():
    print("%s\t%d\t%.1f\t%.1f\t%.1f" % (way, size, statistics.median(s), min(s), max(s)))

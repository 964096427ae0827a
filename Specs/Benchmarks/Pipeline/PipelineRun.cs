using Datacrumbs.Actors.Scheduling;
using System.Diagnostics;
using Akka.Actor;
using Datacrumbs.Actors.Lifecycle;
using Datacrumbs.Actors.Supervision;
using Datacrumbs.Benchmarks.Common;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Benchmarks.Pipeline;

/// <summary>
/// The actor pipeline alone: the real <see cref="JobSupervisor"/> and lifecycle actors on
/// in-memory ports. (1) N full lifecycles (prolog to ready, then epilog to stopped), all in flight
/// at once; (2) the managed memory per tracked job with M jobs ready at once.
/// Akka logs at WARNING here: the per-job "ready" entry's cost is the journal's, measured apart.
/// </summary>
public static class PipelineRun
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    public static async Task RunAsync(BenchResults results, int lifecycles, int tracked, int runs)
    {
        for (var run = 1; run <= runs; run++)
        {
            Console.WriteLine($"pipeline run {run}/{runs}");
            await LifecyclesAsync(results, lifecycles);
            await TrackedMemoryAsync(results, tracked);
        }
    }

    private static (ActorSystem, IActorRef, InMemoryPorts) Start()
    {
        // The daemon's own scheduler, so the pipeline measured is the one that runs on a node.
        var system = ActorSystem.Create("bench", $"akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING\n{DeadlineScheduler.Hocon}");
        var ports = new InMemoryPorts();
        var supervisor = system.ActorOf(JobSupervisor.Props(ports.Ports, new LifecycleTimeouts()), "jobs");
        return (system, supervisor, ports);
    }

    private static async Task LifecyclesAsync(BenchResults results, int n)
    {
        var (system, supervisor, ports) = Start();
        try
        {
            var first = (ulong)Random.Shared.NextInt64(1, 1L << 40);
            var failures = 0;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var all = new Task[n];
            for (var i = 0; i < n; i++)
            {
                var job = new JobId(first + (ulong)i);
                all[i] = Lifecycle(job);
            }
            await Task.WhenAll(all);
            var seconds = watch.Elapsed.TotalSeconds;
            if (failures > 0 || ports.Running > 0) throw new InvalidOperationException($"{failures} lifecycles did not end as expected, {ports.Running} units left");
            results.Add("pipeline.lifecycles_s", $"{n:N0} concurrent lifecycles, actor pipeline alone", "s", seconds);
            results.Add("pipeline.rate", "actor pipeline throughput", "lifecycles/s", n / seconds);
            results.Add("pipeline.cpu_us", "actor pipeline CPU time per lifecycle (user + system, all threads)", "µs",
                (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / n);

            async Task Lifecycle(JobId job)
            {
                var ready = await supervisor.Ask<JobAnswer>(new Prolog(new JobRequest(job, 1001)), Patience);
                var stopped = await supervisor.Ask<JobAnswer>(new Epilog(job), Patience);
                if (ready.Outcome != Outcome.Ready || stopped.Outcome != Outcome.Stopped) Interlocked.Increment(ref failures);
            }
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static async Task TrackedMemoryAsync(BenchResults results, int n)
    {
        var (system, supervisor, ports) = Start();
        try
        {
            // Warm up (JIT, pools), then measure the heap before and after n jobs are ready.
            var first = (ulong)Random.Shared.NextInt64(1, 1L << 40);
            await Ready(first, 200);
            await Stop(first, 200);
            var before = Heap();
            await Ready(first + 1000, n);
            var during = Heap();
            await Stop(first + 1000, n);
            var after = Heap();
            await Task.Delay(TimeSpan.FromSeconds(3)); // what the actor system lets go of by itself shortly after
            var settled = Heap();
            results.Add("pipeline.heap_per_job", $"managed heap per tracked job ({n:N0} ready)", "KiB", (during - before) / 1024.0 / n);
            results.Add("pipeline.heap_before", "managed heap before (after 200 warm-up lifecycles)", "MiB", before / 1048576.0);
            results.Add("pipeline.heap_after", $"managed heap right after those {n:N0} ended", "MiB", after / 1048576.0);
            results.Add("pipeline.heap_settled", $"managed heap 3 s after those {n:N0} ended", "MiB", settled / 1048576.0);
        }
        finally
        {
            await system.Terminate();
        }

        async Task Ready(ulong from, int count) =>
            await Task.WhenAll(Enumerable.Range(0, count).Select(i => supervisor.Ask<JobAnswer>(new Prolog(new JobRequest(new JobId(from + (ulong)i), 1001)), Patience)));
        async Task Stop(ulong from, int count) =>
            await Task.WhenAll(Enumerable.Range(0, count).Select(i => supervisor.Ask<JobAnswer>(new Epilog(new JobId(from + (ulong)i)), Patience)));
    }

    private static long Heap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}

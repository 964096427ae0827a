using System.Collections.Concurrent;
using System.Diagnostics;
using Datacrumbs.Benchmarks.Common;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Benchmarks.Load;

/// <summary>
/// End to end on a real datacrumbsd (process backend, stand-in tracer): prolog overhead of the
/// real Flux prolog hook (deploy/flux/datacrumbs_service_run.sh with the NativeAOT client),
/// side by side with the reference shell flow; 256 prologs at once; lifecycle throughput.
/// Each run starts a fresh daemon in a fresh work dir.
/// </summary>
public sealed class LoadRun(BenchResults results, string ctl, int samples)
{
    private const int SlowTracerMs = 250;

    public async Task RunAsync(int runs)
    {
        for (var run = 1; run <= runs; run++)
        {
            Console.WriteLine($"load run {run}/{runs}");
            var node = Node.Create();
            try
            {
                await using var daemon = await DaemonUnderTest.StartAsync(node);
                await OneRunAsync(node, daemon);
            }
            finally
            {
                Directory.Delete(node.Dir, recursive: true);
            }
        }
    }

    private async Task OneRunAsync(Node node, DaemonUnderTest daemon)
    {
        // Warm-up: the daemon's first jobs pay for JIT; a node's daemon runs for weeks.
        for (var i = 0; i < 5; i++) await HookPrologAsync(node, daemon, 0);

        var client = new List<double>();
        for (var i = 0; i < samples; i++) client.Add((await Ok(Timed.RunAsync(ctl, ["jobid", "1234"]))).Ms);
        results.Add("ctl.start_exit_p50", "datacrumbsctl (NativeAOT) start to exit, p50", "ms", Stats.Median(client));
        results.AddSeries("ctl.start_exit", client);

        var status = new List<double>();
        for (var i = 0; i < samples; i++)
            status.Add((await Ok(Timed.RunAsync(ctl, ["status"], new Dictionary<string, string?> { ["DATACRUMBS_SOCKET"] = daemon.Socket }))).Ms);
        results.Add("ctl.status_p50", "datacrumbsctl status (one socket round trip), p50", "ms", Stats.Median(status));

        var hook0 = new List<double>();
        for (var i = 0; i < samples; i++) hook0.Add(await HookPrologAsync(node, daemon, 0));
        results.Add("prolog.hook0_p50", "prolog hook, tracer ready at once, p50", "ms", Stats.Median(hook0));
        results.Add("prolog.hook0_p99", "prolog hook, tracer ready at once, p99", "ms", Stats.Percentile(hook0, 99));
        results.AddSeries("prolog.hook0", hook0);

        var ctl0 = new List<double>();
        for (var i = 0; i < samples; i++) ctl0.Add(await CtlPrologAsync(node, daemon));
        results.Add("prolog.ctl0_p50", "datacrumbsctl prolog alone (no hook script), tracer ready at once, p50", "ms", Stats.Median(ctl0));

        var hook250 = new List<double>();
        for (var i = 0; i < Math.Max(5, samples / 2); i++) hook250.Add(await HookPrologAsync(node, daemon, SlowTracerMs) - SlowTracerMs);
        results.Add("prolog.hook250_overhead_p50", $"prolog hook overhead, {SlowTracerMs} ms tracer, p50", "ms", Stats.Median(hook250));
        results.AddSeries("prolog.hook250_overhead", hook250);

        var referenceSamples = Math.Max(3, samples / 6);
        var ref0 = new List<double>();
        var ref250 = new List<double>();
        for (var i = 0; i < referenceSamples; i++)
        {
            ref0.Add(await ReferencePrologAsync(node, 0));
            ref250.Add(await ReferencePrologAsync(node, SlowTracerMs) - SlowTracerMs);
        }
        results.Add("reference.ref0_p50", "reference shell flow, tracer ready at once, p50", "ms", Stats.Median(ref0));
        results.Add("reference.ref250_overhead_p50", $"reference shell flow overhead, {SlowTracerMs} ms tracer, p50", "ms", Stats.Median(ref250));
        results.Add("reference.ratio250", $"reference overhead / our overhead, {SlowTracerMs} ms tracer, p50", "x", Stats.Median(ref250) / Stats.Median(hook250));
        results.AddSeries("reference.ref0", ref0);
        results.AddSeries("reference.ref250_overhead", ref250);

        await AtOnceAsync(node, daemon, 256);
        await LifecyclesAsync(node, daemon, 1000, 64);
    }

    private async Task<double> HookPrologAsync(Node node, DaemonUnderTest daemon, int tracerMs)
    {
        var job = node.NewJob();
        node.TracerDelay(job, tracerMs);
        var r = await Ok(Timed.RunAsync(ctl, Paths.PrologHookArgs, node.HookEnvironment(job, daemon.Socket, ctl)), ": ready:");
        await Stopped(daemon, job);
        return r.Ms;
    }

    private async Task<double> CtlPrologAsync(Node node, DaemonUnderTest daemon)
    {
        var job = node.NewJob();
        node.TracerDelay(job, 0);
        var r = await Ok(Timed.RunAsync(ctl, ["prolog"], node.HookEnvironment(job, daemon.Socket, ctl)), ": ready:");
        await Stopped(daemon, job);
        return r.Ms;
    }

    private static async Task<double> ReferencePrologAsync(Node node, int tracerMs)
    {
        var job = node.NewJob();
        node.TracerDelay(job, tracerMs);
        var env = node.ReferenceEnvironment(job, node.RunDir);
        var r = await Ok(Timed.RunAsync(Paths.Reference("datacrumbs_service_run.sh"), [], env), ": ready");
        await Ok(Timed.RunAsync(Paths.Reference("datacrumbs_service_stop.sh"), [], env));
        return r.Ms;
    }

    private async Task AtOnceAsync(Node node, DaemonUnderTest daemon, int n)
    {
        var jobs = Enumerable.Range(0, n).Select(_ => node.NewJob()).ToList();
        foreach (var job in jobs) node.TracerDelay(job, 0);
        var watch = Stopwatch.StartNew();
        var hooks = jobs.Select(job => Ok(Timed.RunAsync(ctl, Paths.PrologHookArgs, node.HookEnvironment(job, daemon.Socket, ctl)), ": ready:")).ToList();
        var latencies = (await Task.WhenAll(hooks)).Select(r => r.Ms).ToList();
        var all = watch.Elapsed.TotalMilliseconds;
        results.Add("atonce.p50", $"{n} prologs at once, p50", "ms", Stats.Median(latencies));
        results.Add("atonce.p99", $"{n} prologs at once, p99", "ms", Stats.Percentile(latencies, 99));
        results.Add("atonce.all", $"{n} prologs at once, all ready after", "ms", all);
        results.AddSeries("atonce", latencies);
        await Task.WhenAll(jobs.Select(job => Stopped(daemon, job)));
    }

    private async Task LifecyclesAsync(Node node, DaemonUnderTest daemon, int n, int concurrency)
    {
        var jobs = Enumerable.Range(0, n).Select(_ => node.NewJob()).ToList();
        foreach (var job in jobs) node.TracerDelay(job, 0);
        var cpu = daemon.CpuMs();
        var seconds = await Concurrently.RunAsync(n, concurrency, async i =>
        {
            await Ready(daemon, jobs[i]);
            await Stopped(daemon, jobs[i]);
        });
        results.Add("lifecycles.socket_rate", $"{n} lifecycles at concurrency {concurrency}, socket clients", "lifecycles/s", n / seconds);
        results.Add("lifecycles.daemon_cpu", "daemon CPU time per lifecycle (user + system, stand-in tracer)", "ms", (daemon.CpuMs() - cpu) / n);

        jobs = Enumerable.Range(0, n).Select(_ => node.NewJob()).ToList();
        foreach (var job in jobs) node.TracerDelay(job, 0);
        seconds = await Concurrently.RunAsync(n, concurrency, async i =>
        {
            var env = node.HookEnvironment(jobs[i], daemon.Socket, ctl);
            await Ok(Timed.RunAsync(ctl, ["prolog"], env), ": ready:");
            await Ok(Timed.RunAsync(ctl, ["epilog"], env));
        });
        results.Add("lifecycles.ctl_rate", $"{n} lifecycles at concurrency {concurrency}, datacrumbsctl processes", "lifecycles/s", n / seconds);
    }

    public static async Task Ready(DaemonUnderTest daemon, JobId job)
    {
        var reply = await daemon.PrologAsync(job);
        if (reply.Outcome != Outcome.Ready) throw new InvalidOperationException($"prolog of {job}: {reply.Outcome} {reply.Message}");
    }

    public static async Task Stopped(DaemonUnderTest daemon, JobId job)
    {
        var reply = await daemon.EpilogAsync(job);
        if (reply.Outcome != Outcome.Stopped) throw new InvalidOperationException($"epilog of {job}: {reply.Outcome} {reply.Message}");
    }

    /// <summary>A measured command must have succeeded (and said <paramref name="expect"/>): a fast failure is no result.</summary>
    private static async Task<Timed.Result> Ok(Task<Timed.Result> run, string? expect = null)
    {
        var r = await run;
        if (r.ExitCode != 0 || (expect is not null && !r.Stdout.Contains(expect)))
            throw new InvalidOperationException($"a measured command failed (exit {r.ExitCode}): {r.Stdout.Trim()} {r.Stderr.Trim()}");
        return r;
    }
}

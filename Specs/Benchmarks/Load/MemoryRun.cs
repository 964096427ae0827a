using Datacrumbs.Messages.Jobs;
using Datacrumbs.Benchmarks.Common;

namespace Datacrumbs.Benchmarks.Load;

/// <summary>
/// The daemon's own cost: idle RSS and open fds; RSS and fds per tracked job with many jobs
/// ready at once; and whether RSS and fds come back after many finished lifecycles. The tracer
/// here is the lightest possible (sh that creates the ready file and execs `sleep`), one small
/// process per job, so the machine can hold thousands; the daemon's side is the same as for any tracer.
/// </summary>
public sealed class MemoryRun(BenchResults results)
{
    private static readonly string[] LightTracer = ["/bin/sh", "-c", ": > \"$DATACRUMBS_READY_FILE\"; exec sleep infinity", "light-tracer"];

    public async Task RunAsync(int readyJobs, int finished)
    {
        Console.WriteLine($"memory: {readyJobs} ready jobs (one daemon), then {finished} finished lifecycles (another daemon)");
        await TrackedAsync(readyJobs);
        await FinishedAsync(finished);
    }

    /// <summary>Idle, warm idle, then RSS and fds against the number of jobs ready at once.</summary>
    private async Task TrackedAsync(int readyJobs)
    {
        var node = Node.Create();
        try
        {
            await using var daemon = await DaemonUnderTest.StartAsync(node, LightTracer);
            var (coldRss, coldFds) = await SettledAsync(daemon);
            results.Add("memory.idle_rss", "daemon idle RSS (after start)", "MiB", coldRss);
            results.Add("memory.idle_fds", "daemon idle open fds (after start)", "fds", coldFds);
            results.Note($"daemon's open fds after start: {ProcFs.FdSummary(daemon.Pid)}");

            await LifecyclesAsync(node, daemon, 500);
            var (warmRss, warmFds) = await SettledAsync(daemon);
            results.Add("memory.warm_rss", "daemon RSS after 500 warm-up lifecycles", "MiB", warmRss);
            results.Add("memory.warm_fds", "daemon open fds after 500 warm-up lifecycles", "fds", warmFds);

            var jobs = Enumerable.Range(0, readyJobs).Select(_ => node.NewJob()).ToList();
            results.AddSeries("memory.curve_jobs", [0]);
            results.AddSeries("memory.curve_rss", [warmRss]);
            var quiet = await WakeupsWithJobsReadyAsync(daemon, jobs.Take(Math.Min(QuietJobs, readyJobs)).ToList());
            var step = Math.Max(1, readyJobs / 8);
            for (var from = quiet; from < readyJobs; from += step)
            {
                var count = Math.Min(step, readyJobs - from);
                await Concurrently.RunAsync(count, 64, i => LoadRun.Ready(daemon, jobs[from + i]));
                results.AddSeries("memory.curve_jobs", [from + count]);
                results.AddSeries("memory.curve_rss", [daemon.RssMiB()]);
            }
            var (fullRss, fullFds) = await SettledAsync(daemon);
            results.Add("memory.ready_rss", $"daemon RSS with {readyJobs:N0} jobs ready", "MiB", fullRss);
            results.Add("memory.ready_fds", $"daemon open fds with {readyJobs:N0} jobs ready", "fds", fullFds);
            results.Add("memory.per_job", "daemon RSS per tracked job", "KiB", (fullRss - warmRss) * 1024 / readyJobs);
            results.Add("memory.fds_per_job", "daemon open fds per tracked job", "fds", (double)(fullFds - warmFds) / readyJobs);
            results.Add("memory.ready_jobs", "tracked jobs measured at once", "jobs", readyJobs);

            await Concurrently.RunAsync(readyJobs, 64, i => LoadRun.Stopped(daemon, jobs[i]));
            var (endedRss, endedFds) = await SettledAsync(daemon);
            results.Add("memory.ended_rss", $"daemon RSS after those {readyJobs:N0} jobs ended (the peak is kept)", "MiB", endedRss);
            results.Add("memory.ended_fds", $"daemon open fds after those {readyJobs:N0} jobs ended", "fds", endedFds);
        }
        finally
        {
            Directory.Delete(node.Dir, recursive: true);
        }
    }

    /// <summary>Issue 16's figure: a daemon tracking this many ready jobs (none in a timed state) should sleep.</summary>
    private const int QuietJobs = 100;

    private static readonly TimeSpan WakeupWindow = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Makes the first jobs ready, lets the daemon settle, and counts its wakeups over a window
    /// (the tracers are other processes: not counted). Returns how many jobs are now ready.
    /// </summary>
    private async Task<int> WakeupsWithJobsReadyAsync(DaemonUnderTest daemon, IReadOnlyList<JobId> jobs)
    {
        await Concurrently.RunAsync(jobs.Count, 64, i => LoadRun.Ready(daemon, jobs[i]));
        var (rss, _) = await SettledAsync(daemon);
        results.AddSeries("memory.curve_jobs", [jobs.Count]);
        results.AddSeries("memory.curve_rss", [rss]);
        var perSecond = await ProcFs.WakeupsPerSecondAsync(daemon.Pid, WakeupWindow);
        results.Add("memory.ready_wakeups", $"daemon wakeups/s with {jobs.Count} jobs ready (tracers excluded), over {WakeupWindow.TotalSeconds:0} s", "wakeups/s", perSecond);
        return jobs.Count;
    }

    /// <summary>On a fresh daemon: warm idle, then many lifecycles, then RSS and fds against warm idle.</summary>
    private async Task FinishedAsync(int finished)
    {
        var node = Node.Create();
        try
        {
            await using var daemon = await DaemonUnderTest.StartAsync(node, LightTracer);
            var (coldRss, _) = await SettledAsync(daemon);
            await LifecyclesAsync(node, daemon, 500);
            var (warmRss, warmFds) = await SettledAsync(daemon);
            results.Add("memory.finished_warm_rss", "second daemon: RSS after 500 warm-up lifecycles", "MiB", warmRss);
            results.Add("memory.finished_warm_fds", "second daemon: open fds after 500 warm-up lifecycles", "fds", warmFds);
            results.Note($"daemon's open fds after 500 warm-up lifecycles: {ProcFs.FdSummary(daemon.Pid)}");

            var cpu = daemon.CpuMs();
            var seconds = await LifecyclesAsync(node, daemon, finished);
            results.Add("memory.daemon_cpu", "daemon CPU time per lifecycle (user + system, light tracer)", "ms", (daemon.CpuMs() - cpu) / finished);
            results.Add("memory.finished_rate", $"{finished:N0} lifecycles at concurrency 64 (socket clients, light tracer)", "lifecycles/s", finished / seconds);
            var (afterRss, afterFds) = await SettledAsync(daemon);
            results.Add("memory.after_rss", $"second daemon: RSS after {finished:N0} finished lifecycles", "MiB", afterRss);
            results.Add("memory.after_fds", $"second daemon: open fds after {finished:N0} finished lifecycles", "fds", afterFds);
            results.Note($"daemon's open fds after {finished:N0} finished lifecycles: {ProcFs.FdSummary(daemon.Pid)}");
            results.Add("memory.after_rss_vs_warm", "RSS after the finished lifecycles vs warm idle", "%", 100 * (afterRss - warmRss) / warmRss);
            results.Add("memory.after_rss_vs_idle", "RSS after the finished lifecycles vs idle after start", "%", 100 * (afterRss - coldRss) / coldRss);
            results.Add("memory.after_fds_vs_warm", "open fds after the finished lifecycles vs warm idle", "%", 100.0 * (afterFds - warmFds) / warmFds);
            results.Add("memory.journal_entries", "journal entries the second daemon sent", "entries", daemon.JournalEntries);
        }
        finally
        {
            Directory.Delete(node.Dir, recursive: true);
        }
    }

    private static async Task<double> LifecyclesAsync(Node node, DaemonUnderTest daemon, int n)
    {
        var jobs = Enumerable.Range(0, n).Select(_ => node.NewJob()).ToList();
        return await Concurrently.RunAsync(n, 64, async i =>
        {
            await LoadRun.Ready(daemon, jobs[i]);
            await LoadRun.Stopped(daemon, jobs[i]);
        });
    }

    /// <summary>
    /// Idle figures: RSS and fds after the daemon's idle trim, which runs between one and two
    /// IdleTrimSeconds after the last request. A benchmark's pause, not a test's.
    /// </summary>
    private static async Task<(double Rss, int Fds)> SettledAsync(DaemonUnderTest daemon)
    {
        await Task.Delay(TimeSpan.FromSeconds(DaemonUnderTest.IdleTrimSeconds * 2 + 1));
        return (daemon.RssMiB(), daemon.OpenFds());
    }
}

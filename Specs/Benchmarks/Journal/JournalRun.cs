using System.Diagnostics;
using Datacrumbs.Benchmarks.Common;
using Datacrumbs.Daemon.Journal;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Specs.Harness;
using Serilog;
using Serilog.Events;

namespace Datacrumbs.Benchmarks.Journal;

/// <summary>
/// The journald sink into the real journald of the sandbox: callers (2 threads, as many as there
/// are cores) log lifecycle entries as fast as they can; measured are how long one Emit takes
/// (it must never block) and the entries per second the sink delivers while saturated. What the
/// bounded queue could not take is dropped and counted by design; the figures say how many.
/// </summary>
public static class JournalRun
{
    public static async Task RunAsync(BenchResults results, int entries, int runs)
    {
        var sandbox = await SystemdSandbox.StartAsync();
        try
        {
            for (var run = 1; run <= runs; run++)
            {
                Console.WriteLine($"journal run {run}/{runs}");
                await OneRunAsync(results, sandbox, entries);
            }
        }
        finally
        {
            await sandbox.DisposeAsync();
        }
    }

    private static async Task OneRunAsync(BenchResults results, SystemdSandbox sandbox, int entries)
    {
        var tag = Guid.NewGuid().ToString("N");
        using var sink = new JournaldSink(new JournaldSinkOptions { SocketPath = sandbox.JournalSocket, Diagnostics = TextWriter.Null });
        using var logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger();
        var job = new JobId(0x1e4c_8a00_0001UL);
        var log = logger.ForContext("BenchRun", tag).ForContext("SourceContext", "Datacrumbs.Actors.Lifecycle.JobLifecycle")
            .ForContext("State", "Ready").ForContext("Unit", JobNames.Unit(job)).ForContext("User", "dcalice");
        log.Information("warm-up {JobId}", job);
        if (!await sink.FlushAsync(TimeSpan.FromSeconds(30))) throw new InvalidOperationException("journal did not take the warm-up entry");
        var sentBefore = sink.Sent;

        const int callers = 2;
        var emitTicks = new long[callers][];
        var watch = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, callers).Select(c => new Thread(() =>
        {
            var ticks = emitTicks[c] = new long[entries / callers];
            for (var i = 0; i < ticks.Length; i++)
            {
                var t = Stopwatch.GetTimestamp();
                log.Information("{JobId}: tracer ready after {ReadyMs} ms", job, 12.5);
                ticks[i] = Stopwatch.GetTimestamp() - t;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var emitSeconds = watch.Elapsed.TotalSeconds;
        if (!await sink.FlushAsync(TimeSpan.FromMinutes(2))) throw new InvalidOperationException("journal sink did not drain within 2 minutes");
        var drainSeconds = watch.Elapsed.TotalSeconds;

        var sent = sink.Sent - sentBefore;
        var emitUs = emitTicks.SelectMany(t => t).Select(t => t * 1e6 / Stopwatch.Frequency).ToList();
        results.Add("journal.rate", "journald sink entries/s into the real journal (saturated)", "entries/s", sent / drainSeconds);
        results.Add("journal.emit_p50", "Log call (Emit) duration, p50", "µs", Stats.Median(emitUs));
        results.Add("journal.emit_p999", "Log call (Emit) duration, p99.9", "µs", Stats.Percentile(emitUs, 99.9));
        results.Add("journal.emit_max", "Log call (Emit) duration, max", "µs", emitUs.Max());
        results.Add("journal.callers_rate", "entries/s the callers offered", "entries/s", entries / emitSeconds);
        results.Add("journal.dropped", "entries dropped by the full queue (counted, reported)", "%", 100.0 * sink.Dropped / entries);

        // The journal's own intake, for comparison: the same entry, encoded once, sent as fast as one thread can.
        var encoded = new Daemon.Journal.JournalEntryEncoder("datacrumbs-bench").Encode(LogEventLevel.Information, $"raw {tag}").ToArray();
        using (var raw = new JournalSocket(sandbox.JournalSocket, TimeSpan.FromSeconds(2)))
        {
            var rawWatch = Stopwatch.StartNew();
            var rawSent = 0;
            for (var i = 0; i < entries / 2; i++)
                if (raw.Send(encoded).Status == JournalSocket.Status.Sent) rawSent++;
            results.Add("journal.raw_rate", "journal socket intake, pre-encoded datagrams from one thread", "entries/s", rawSent / rawWatch.Elapsed.TotalSeconds);
        }

        // What the journal holds is what the sink counted as sent.
        (await sandbox.ExecAsync("journalctl", "--sync")).EnsureSuccess("journalctl --sync");
        var stored = await sandbox.ExecAsync("sh", "-c", $"journalctl --no-pager -o cat DATACRUMBS_BENCH_RUN={tag} | wc -l");
        results.Add("journal.stored", "entries found in the journal / entries the sink sent", "%", 100.0 * long.Parse(stored.Stdout.Trim()) / (sent + 1));
    }
}

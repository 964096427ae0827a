using Datacrumbs.Daemon.Journal;
using Datacrumbs.Daemon.Metrics;
using Serilog;

namespace Datacrumbs.Specs.Metrics;

/// <summary>
/// "Log entries dropped": the journal sink's drops, by reason, become
/// datacrumbs_log_entries_dropped_total and wake the metrics writer; a daemon logging to the
/// console (which blocks, never drops) exports no such series rather than a false zero.
/// </summary>
public sealed class LogDropsSpec : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("logdrops-spec.").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Entries_a_real_journal_sink_could_not_write_are_counted_by_reason_and_announced()
    {
        // A journal socket that does not exist and no fallback: every entry is dropped, as "journal_unavailable".
        using var sink = new JournaldSink(new JournaldSinkOptions { SocketPath = Path.Combine(_dir, "socket"), Diagnostics = new StringWriter() });
        var drops = new LogDrops(sink);
        var announced = 0;
        drops.Changed += () => Interlocked.Increment(ref announced);
        using var log = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();

        for (var i = 0; i < 3; i++) log.Information("entry {Index}", i);
        Assert.True(await sink.FlushAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal([("queue_full", 0L), ("too_large", 0L), ("journal_unavailable", 3L), ("failed", 0L)], drops.Read());
        Assert.Equal(3, Volatile.Read(ref announced));
        var text = PrometheusText.Render(new LifecycleCounters().Snapshot(), DateTimeOffset.UnixEpoch, drops.Read());
        Assert.Contains("# TYPE datacrumbs_log_entries_dropped_total counter\n", text);
        Assert.Contains("datacrumbs_log_entries_dropped_total{reason=\"journal_unavailable\"} 3\n", text);
        Assert.Contains("datacrumbs_log_entries_dropped_total{reason=\"queue_full\"} 0\n", text);
    }

    [Fact]
    public void Without_a_journal_sink_there_is_no_dropped_series()
    {
        var drops = new LogDrops(null);
        drops.Changed += () => { }; // nothing to subscribe to, and no error

        Assert.Null(drops.Read());
        Assert.DoesNotContain("log_entries_dropped", PrometheusText.Render(new LifecycleCounters().Snapshot(), DateTimeOffset.UnixEpoch, drops.Read()));
    }
}

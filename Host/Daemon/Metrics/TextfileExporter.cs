using Datacrumbs.Daemon.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Datacrumbs.Daemon.Metrics;

/// <summary>
/// Writes the metrics for node_exporter's textfile collector: <c>datacrumbs.prom</c> in its
/// directory, replaced atomically (a temporary file, then rename). Written on change, not on a
/// tick: a change arms a one-shot timer, so a burst of jobs costs one write per delay and an idle
/// daemon never wakes for its metrics.
/// </summary>
public sealed class TextfileExporter(DaemonOptions options, LifecycleCounters counters, LogDrops logDrops, ILogger<TextfileExporter> log) : IHostedService, IDisposable
{
    public const string FileName = "datacrumbs.prom";
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private readonly object _writing = new();
    private Timer? _timer;
    private int _armed;
    private bool _failing;

    private string Directory => options.Metrics.TextfileDirectory;
    private TimeSpan Delay => TimeSpan.FromSeconds(options.Metrics.WriteDelaySeconds);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(Directory))
        {
            log.LogInformation("Metrics are off (Metrics:TextfileDirectory is empty)");
            return Task.CompletedTask;
        }
        if (!System.IO.Directory.Exists(Directory))
        {
            log.LogInformation("Metrics are off: {Directory} does not exist (node_exporter's textfile collector directory; install prometheus-node-exporter or set Metrics:TextfileDirectory)", Directory);
            return Task.CompletedTask;
        }
        _timer = new Timer(_ => WriteNow(), null, Timeout.Infinite, Timeout.Infinite);
        counters.Changed += OnChanged;
        logDrops.Changed += OnChanged;
        WriteNow();
        log.LogInformation("Writing metrics to {File} on every change (at most once every {Delay} s)", Path.Combine(Directory, FileName), Delay.TotalSeconds);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (_timer is null) return Task.CompletedTask;
        counters.Changed -= OnChanged;
        logDrops.Changed -= OnChanged;
        _timer.Dispose();
        WriteNow(); // the last state, with the daemon's start time that says it was this run
        return Task.CompletedTask;
    }

    private void OnChanged()
    {
        if (Interlocked.Exchange(ref _armed, 1) == 0) _timer?.Change(Delay, Timeout.InfiniteTimeSpan);
    }

    private void WriteNow()
    {
        Volatile.Write(ref _armed, 0); // a change from here on arms the next write
        lock (_writing)
        {
            var target = Path.Combine(Directory, FileName);
            // node_exporter reads *.prom only: the temporary name is never read half-written.
            var temporary = Path.Combine(Directory, $".{FileName}.{Environment.ProcessId}.tmp");
            try
            {
                File.WriteAllText(temporary, PrometheusText.Render(counters.Snapshot(), _started, logDrops.Read()));
                File.SetUnixFileMode(temporary, (UnixFileMode)0b110_100_100);
                File.Move(temporary, target, overwrite: true);
                if (_failing) log.LogInformation("Metrics are written to {File} again", target);
                _failing = false;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (!_failing) log.LogWarning("Could not write metrics to {File}: {Cause} (said once until a write succeeds)", target, e.Message);
                _failing = true;
                try { File.Delete(temporary); } catch (IOException) { }
            }
        }
    }

    public void Dispose() => _timer?.Dispose();
}

using System.Runtime;
using Datacrumbs.Daemon.Control;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Datacrumbs.Daemon.Hosting;

/// <summary>
/// After a burst of jobs the garbage collector keeps the heap it grew to, and a compute node's
/// daemon then sits idle for hours holding it. Once no request has arrived for a whole
/// <c>IdleTrimSeconds</c> period (30; the trim comes 30 to 60 s after the last request), one
/// aggressive, compacting collection gives that memory back to the node. Its timer runs only
/// while requests come (<see cref="QuietPeriod"/>): an idle daemon is never woken by it.
/// </summary>
public sealed class IdleMemoryTrim(RequestActivity activity, Configuration.DaemonOptions options, ILogger<IdleMemoryTrim> log) : IHostedService, IDisposable
{
    private readonly object _gate = new();
    private readonly QuietPeriod _quiet = new();
    private Timer? _timer;

    private TimeSpan Period => TimeSpan.FromSeconds(options.IdleTrimSeconds);

    public Task StartAsync(CancellationToken ct)
    {
        if (options.IdleTrimSeconds <= 0) return Task.CompletedTask;
        _timer = new Timer(_ => PeriodEnded(), null, Timeout.Infinite, Timeout.Infinite);
        activity.Arrived += RequestArrived;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken ct)
    {
        activity.Arrived -= RequestArrived;
        lock (_gate) _timer?.Change(Timeout.Infinite, Timeout.Infinite);
        return Task.CompletedTask;
    }

    private void RequestArrived()
    {
        lock (_gate)
            if (_quiet.RequestTaken(activity.Requests)) _timer!.Change(Period, Timeout.InfiniteTimeSpan);
    }

    private void PeriodEnded()
    {
        lock (_gate)
        {
            if (!_quiet.EndsAt(activity.Requests))
            {
                _timer!.Change(Period, Timeout.InfiniteTimeSpan);
                return;
            }
        }
        Trim();
    }

    private void Trim()
    {
        var before = Environment.WorkingSet;
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        log.LogDebug("idle: gave memory back to the node, resident {BeforeMiB:0.0} -> {AfterMiB:0.0} MiB",
            before / 1048576.0, Environment.WorkingSet / 1048576.0);
    }

    public void Dispose() => _timer?.Dispose();
}

using System.Runtime;
using Datacrumbs.Daemon.Control;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Datacrumbs.Daemon.Hosting;

/// <summary>
/// After a burst of jobs the garbage collector keeps the heap it grew to, and a compute node's
/// daemon then sits idle for hours holding it. Once no request has arrived for
/// <c>IdleTrimSeconds</c> (30), one aggressive, compacting collection gives that memory back to
/// the node (about 24 MiB after 3,000 lifecycles); it runs again only after new requests.
/// </summary>
public sealed class IdleMemoryTrim(RequestActivity activity, Configuration.DaemonOptions options, ILogger<IdleMemoryTrim> log) : BackgroundService
{
    private const int TicksPerQuietPeriod = 3;

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        if (options.IdleTrimSeconds <= 0) return;
        var quiet = new QuietPeriod(TicksPerQuietPeriod, activity.Requests);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.IdleTrimSeconds) / TicksPerQuietPeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
                if (quiet.EndsAt(activity.Requests)) Trim();
        }
        catch (OperationCanceledException) { }
    }

    private void Trim()
    {
        var before = Environment.WorkingSet;
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        log.LogDebug("idle: gave memory back to the node, resident {BeforeMiB:0.0} -> {AfterMiB:0.0} MiB",
            before / 1048576.0, Environment.WorkingSet / 1048576.0);
    }
}

using Akka.Actor;
using Akka.Hosting;
using Datacrumbs.Actors.Supervision;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Datacrumbs.Daemon.Hosting;

/// <summary>
/// Feeds systemd's watchdog (WatchdogSec= in datacrumbsd.service) at half its period, but only
/// while the job supervisor answers: a daemon whose actor system is stuck stops petting the dog
/// and systemd restarts it; adoption then takes over the running jobs.
/// </summary>
public sealed class WatchdogService(ISystemdNotifier notifier, IRequiredActor<JobSupervisor> supervisor, ILogger<WatchdogService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        if (!notifier.IsEnabled
            || !long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out var usec) || usec <= 0)
            return;
        var period = TimeSpan.FromMicroseconds(usec / 2.0);
        var jobs = await supervisor.GetAsync(ct);
        using var timer = new PeriodicTimer(period);
        do
        {
            try
            {
                await jobs.Ask<StatusReport>(new StatusQuery(uint.MaxValue), period, ct);
                notifier.Notify(new ServiceState("WATCHDOG=1"));
            }
            catch (AskTimeoutException)
            {
                log.LogError("the job supervisor did not answer within {Seconds} s; not feeding the watchdog", period.TotalSeconds);
            }
        } while (await timer.WaitForNextTickAsync(ct));
    }
}

using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Daemon;

/// <summary>The real daemon stopped (SIGTERM, as systemd does) while a request waits for its answer.</summary>
public sealed class DaemonShutdownSpec
{
    [Fact]
    public async Task A_prolog_in_flight_when_the_daemon_stops_is_answered_shutting_down()
    {
        // A tracer that never becomes ready, and a ready timeout that never comes: the prolog waits.
        await using var daemon = await DaemonProcess.StartAsync(settings: new() { ["Timeouts"] = new Dictionary<string, double> { ["Ready"] = 3600 } });
        var job = new JobId(4101);
        await daemon.TracerBehaves(job.ToString(), "never-ready");
        var prolog = daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, daemon.ProbeFile));
        await daemon.WaitForLogAsync("never becoming ready");

        (await Run.CommandAsync("kill", ["-TERM", daemon.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10))).EnsureSuccess("kill -TERM");
        var reply = await prolog;

        Assert.Equal(ReplyStatus.Unavailable, reply.Status);
        Assert.Contains("shutting down", reply.Message);
        daemon.DeleteWorkDir();
    }
}

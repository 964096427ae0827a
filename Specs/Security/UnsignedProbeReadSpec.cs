using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.Security;

/// <summary>
/// Issue 17, finding 5: with signatures off (Probes:RequireSignature=false, the spec daemons'
/// default) the node still reads the probe file as the job's user, never as root, and says once
/// at start that signatures are off.
/// </summary>
public sealed class UnsignedProbeReadSpec() : DaemonSpec
{
    [Fact]
    public async Task A_root_only_probe_file_is_refused_because_the_jobs_user_cannot_read_it()
    {
        var rootOnly = Path.Combine(Daemon.WorkDir, "root-only.json.gz");
        ProbeFixtures.WriteFile(rootOnly, DaemonProcess.ValidProbes, 0b110_000_000);
        var job = new JobId(17501);

        var reply = await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, rootOnly));

        Assert.Equal(Outcome.Failed, reply.Outcome);
        Assert.Contains($"dcalice (uid {TestUsers.Alice.Uid}) cannot read it", reply.Message);
        Assert.Contains("Permission denied", reply.Message);
        Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
        Assert.Empty(Daemon.Leftovers());
    }

    [Fact]
    public async Task A_probe_file_its_owner_made_unreadable_is_refused()
    {
        var locked = Path.Combine(Daemon.WorkDir, "locked.json.gz");
        ProbeFixtures.WriteFile(locked, DaemonProcess.ValidProbes, 0);
        await ProbeFixtures.ChownAsync(locked, "dcalice");
        var job = new JobId(17502);

        var reply = await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, locked));

        Assert.Equal(Outcome.Failed, reply.Outcome);
        Assert.Contains("cannot read it", reply.Message);
        Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
    }

    [Fact]
    public async Task A_file_the_user_may_read_still_goes_ready_and_the_start_warns_once_that_signatures_are_off()
    {
        var job = new JobId(17503);

        Assert.Equal(Outcome.Ready, (await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, Daemon.ProbeFile))).Outcome);
        Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);

        var warnings = Daemon.Log.Split('\n').Where(l => l.Contains("probe signatures are OFF", StringComparison.Ordinal)).ToList();
        Assert.Single(warnings);
        Assert.Contains("Probes:RequireSignature=false", warnings[0]);
    }
}

using Datacrumbs.Daemon.ProcessBackend;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.SlurmJobs;

/// <summary>
/// A daemon killed while a Flux job and a Slurm job with the same number are traced: the new one
/// adopts both from their files and tracers, each under its own id, and each epilog stops its own.
/// </summary>
public sealed class SlurmAdoptionSpec : DaemonSpec
{
    private static bool IsAlive(int pid) => ProcessIdentity.Of(pid) is not null;

    [Fact]
    public async Task A_restarted_daemon_adopts_a_flux_and_a_slurm_job_and_stops_each_with_its_own_epilog()
    {
        var slurm = SlurmHook.NewJob();
        var flux = new JobId(slurm.Value);
        var slurmEnv = SlurmHook.Traced(Daemon.Socket, slurm, TestUsers.Alice, Daemon.ProbeFile);
        Assert.Equal(Outcome.Ready, (await Daemon.SendAsync(WrapperRequests.Start(flux, TestUsers.Alice.Uid, Daemon.ProbeFile))).Outcome);
        Assert.Equal(0, (await SlurmHook.PrologAsync(slurmEnv)).ExitCode);
        var fluxTracer = Daemon.TracerPid(flux);
        var slurmTracer = Daemon.TracerPid(slurm);

        Daemon.Kill();
        await using var restarted = await Daemon.RestartAsync();

        var status = (await restarted.CtlAsync(null, "status", "--json")).Stdout;
        Assert.Contains($"\"job\":\"{flux}\",\"uid\":{TestUsers.Alice.Uid},\"user\":\"dcalice\",\"state\":\"Ready\"", status);
        Assert.Contains($"\"job\":\"{slurm}\",\"uid\":{TestUsers.Alice.Uid},\"user\":\"dcalice\",\"state\":\"Ready\"", status);

        var epilog = await SlurmHook.EpilogAsync(slurmEnv);
        Assert.Equal(0, epilog.ExitCode);
        Assert.StartsWith($"datacrumbs: {slurm}: stopped:", epilog.Stdout);
        Assert.False(IsAlive(slurmTracer));
        Assert.True(IsAlive(fluxTracer));

        Assert.Equal(Outcome.Stopped, (await restarted.SendAsync(WrapperRequests.Stop(flux))).Outcome);
        Assert.False(IsAlive(fluxTracer));
        Assert.Empty(restarted.Leftovers());
    }
}

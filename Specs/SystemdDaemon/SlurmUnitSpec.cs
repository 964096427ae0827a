using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.SlurmJobs;

namespace Datacrumbs.Specs.SystemdDaemon;

/// <summary>
/// A Slurm job under a real (sandboxed) systemd, beside a Flux job with the same number: each
/// tracer runs as its own <c>datacrumbs@&lt;id&gt;.service</c> from the shipped unit file, the
/// journal tells them apart, and a daemon SIGKILLed and restarted by systemd adopts both from
/// their unit names.
/// </summary>
public sealed class SlurmUnitSpec(SystemdDaemonFixture node) : IClassFixture<SystemdDaemonFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = SystemdDaemonFixture.Patience;
    private const string Daemon = SystemdDaemonFixture.Daemon;
    private readonly JobId _slurm = JobId.Slurm((uint)Random.Shared.NextInt64(1, uint.MaxValue));

    public Task InitializeAsync() => node.EnsureDaemonActiveAsync();

    // A spec that failed half-way leaves nothing to the next one (a no-op for jobs it ended).
    public Task DisposeAsync() => node.EndJobsAsync([_slurm, new JobId(_slurm.Value)]);

    [Fact]
    public async Task A_slurm_and_a_flux_job_with_the_same_number_get_two_units_and_a_restarted_daemon_adopts_both()
    {
        var fluxSameNumber = new JobId(_slurm.Value);
        var slurmUnit = JobNames.Unit(_slurm);
        var env = SlurmHook.Traced(node.Socket, _slurm, Harness.TestUsers.Alice, SystemdDaemonFixture.ProbeFile);
        using var tracerLines = JournalFollower.Start(node.Sandbox, DateTimeOffset.UtcNow.AddSeconds(-1), $"DATACRUMBS_JOB_ID={_slurm}", $"_SYSTEMD_UNIT={slurmUnit}");

        var prolog = await SlurmHook.PrologAsync(env);
        Assert.True(prolog.ExitCode == 0, prolog.Stdout + prolog.Stderr);
        Assert.Equal(Outcome.Ready, (await node.PrologAsync(fluxSameNumber)).Outcome);
        Assert.Equal($"datacrumbs@{_slurm}.service", slurmUnit);
        Assert.Equal("active", await node.ShowAsync(slurmUnit, "ActiveState"));
        Assert.Equal("active", await node.ShowAsync(JobNames.Unit(fluxSameNumber), "ActiveState"));
        Assert.Equal($"DataCrumbs I/O tracer for job {_slurm}", await node.ShowAsync(slurmUnit, "Description"));
        var slurmTracer = await node.ShowAsync(slurmUnit, "MainPID");

        // The tracer's own output carries the Slurm id (LogExtraFields= in the unit), and only its.
        await tracerLines.AwaitAsync(e => e["MESSAGE"].Contains("ready=yes"), 1, Patience, $"the tracer's ready line under DATACRUMBS_JOB_ID={_slurm}");

        using (var journal = JournalFollower.Start(node.Sandbox, DateTimeOffset.UtcNow, "_PID=1", $"UNIT={Daemon}", "JOB_TYPE=start", "JOB_RESULT=done"))
        {
            (await node.Sandbox.ExecAsync("systemctl", "kill", "--signal=KILL", Daemon)).EnsureSuccess("systemctl kill");
            node.IntendedRestarts++;
            await journal.AwaitAsync(_ => true, 1, Patience, $"{Daemon} started again after SIGKILL");
        }
        var status = await ControlClient.SendAsync(node.Socket, new ControlRequest { Op = Operation.Status }, Patience);
        Assert.Contains(status.Jobs!, s => s.Job == _slurm.ToString() && s.State == LifecycleState.Ready && s.User == "dcalice");
        Assert.Contains(status.Jobs!, s => s.Job == fluxSameNumber.ToString() && s.State == LifecycleState.Ready);
        Assert.Equal(slurmTracer, await node.ShowAsync(slurmUnit, "MainPID"));

        var epilog = await SlurmHook.EpilogAsync(env);
        Assert.True(epilog.ExitCode == 0, epilog.Stdout + epilog.Stderr);
        Assert.Contains($"datacrumbs: {_slurm}: stopped:", epilog.Stdout);
        Assert.Equal("inactive", await node.ShowAsync(slurmUnit, "ActiveState"));
        Assert.Equal("active", await node.ShowAsync(JobNames.Unit(fluxSameNumber), "ActiveState"));
        Assert.Equal(Outcome.Stopped, (await node.EpilogAsync(fluxSameNumber)).Outcome);
        await node.AssertNothingLeftAsync();
    }
}

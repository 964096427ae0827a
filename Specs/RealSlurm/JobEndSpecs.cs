namespace Datacrumbs.Specs.RealSlurm;

/// <summary>
/// However a traced job ends, Slurm's epilog stops its tracer on every node: a job its user
/// cancels, a job killed at its time limit, a job that outlives a daemon crash and restart.
/// </summary>
[Collection(RealSlurmCollection.Name)]
public sealed class JobEndSpecs(RealSlurmCluster slurm)
{
    /// <summary>Submits a two-node batch job that sleeps long, traced, and returns once both prologs have answered (the tracer is ready).</summary>
    private async Task<(string Job, int Tracer)> RunningTracedJobAsync(params string[] extra)
    {
        var probes = await slurm.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");
        var job = (await slurm.AsUserAsync("dcalice", ["sbatch", "--parsable", "-N2", "-o", "/dev/null", .. extra,
            "--datacrumbs-enable", $"--datacrumbs-probe-file={probes}", "--wrap", "sleep 600"])).EnsureSuccess("sbatch").Stdout.Trim();
        foreach (var node in RealSlurmCluster.Nodes)
            Assert.Equal(0, (await slurm.HookDoneAsync("prolog", job, node)).ExitCode);
        return (job, slurm.TracerOf(job));
    }

    private async Task AssertNothingLeftAsync(string job, int tracer, string expectedState)
    {
        await slurm.AssertNothingLeftAsync(job, tracer);
        // COMPLETING until slurmd has reported the epilogs, which may be a moment after they ended.
        Assert.Matches($"JobState=({expectedState}|COMPLETING) ", await slurm.ShowJobAsync("dcalice", job));
    }

    [SkippableFact]
    public async Task A_canceled_job_leaves_nothing()
    {
        slurm.Require();
        var (job, tracer) = await RunningTracedJobAsync();

        (await slurm.AsUserAsync("dcalice", "scancel", job)).EnsureSuccess("scancel");

        await AssertNothingLeftAsync(job, tracer, "CANCELLED");
    }

    [SkippableFact]
    public async Task A_job_past_its_time_limit_leaves_nothing()
    {
        slurm.Require();
        // One minute, Slurm's smallest limit; slurmctld checks limits about every 30 s, then KillWait (5 s).
        var (job, tracer) = await RunningTracedJobAsync("--time=1");

        await slurm.JobOverAsync(job, TimeSpan.FromMinutes(5));
        await AssertNothingLeftAsync(job, tracer, "TIMEOUT");
    }

    [SkippableFact]
    public async Task A_job_that_outlives_a_daemon_restart_leaves_nothing()
    {
        slurm.Require();
        var (job, tracer) = await RunningTracedJobAsync();

        await slurm.KillAndRestartDaemonAsync(); // returns once the new daemon serves

        await slurm.Daemon.WaitForLogAsync($"s{job} (dcalice, Ready): adopted a running tracer found after a daemon restart");
        Assert.True(Reliability.TracerProcesses.IsAlive(tracer), "the tracer outlives the daemon's crash");
        var status = (await slurm.Daemon.CtlAsync(null, "status")).EnsureSuccess("datacrumbsctl status").Stdout.Split('\n');
        Assert.Contains(" Ready ", Assert.Single(status, l => l.StartsWith($"s{job} ", StringComparison.Ordinal)));
        (await slurm.AsUserAsync("dcalice", "scancel", job)).EnsureSuccess("scancel");

        await AssertNothingLeftAsync(job, tracer, "CANCELLED");
    }
}

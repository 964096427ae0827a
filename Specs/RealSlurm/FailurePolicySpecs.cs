namespace Datacrumbs.Specs.RealSlurm;

/// <summary>
/// When tracing cannot start (here: a probe file signed for another user, which the daemon
/// refuses), the site's policy decides, and the user reads why. `continue`: the job runs
/// untraced, srun's terminal and the job's AdminComment say so. `fail`: the hook cancels the job
/// with the reason (scancel), exits 0, and no node is drained.
/// </summary>
[Collection(RealSlurmCollection.Name)]
public sealed class FailurePolicySpecs(RealSlurmCluster slurm)
{
    [SkippableFact]
    public async Task Under_continue_the_job_runs_untraced_and_its_user_is_told_why()
    {
        slurm.Require();
        var othersProbes = await slurm.SignedProbesForAsync("dcbob", $"probes-{Guid.NewGuid():N}.json.gz");
        var mine = Path.Combine(slurm.JobDir, $"probes-{Guid.NewGuid():N}.json.gz");
        File.Copy(othersProbes, mine);
        await Probes.ProbeFixtures.ChownAsync(mine, "dcalice");

        var r = (await slurm.AsUserAsync("dcalice", "srun", "-N2", "--ntasks-per-node=1", "--datacrumbs-enable", $"--datacrumbs-probe-file={mine}", slurm.ReadyCheck))
            .EnsureSuccess("an untraced job still runs");

        var answers = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, answers.Length);
        Assert.All(answers, a => Assert.StartsWith("MISSING s", a, StringComparison.Ordinal));
        var job = answers[0].Split(' ')[1][1..];
        Assert.Matches($@"srun: datacrumbs: s{job}: (?i:failed): .*\(job runs untraced\)", r.Stderr);
        Assert.Matches($@"AdminComment=datacrumbs: s{job}: (?i:failed): .*\(job runs untraced\)", await slurm.ShowJobAsync("dcalice", job));
        await slurm.JobOverAsync(job);
        Assert.Empty(slurm.LeftoversOf(job));
    }

    [SkippableFact]
    public async Task Under_fail_the_job_is_canceled_with_the_reason_and_no_node_is_drained()
    {
        slurm.Require();
        var user = RealSlurmCluster.FailUser;
        var othersProbes = await slurm.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");
        var mine = Path.Combine(slurm.JobDir, $"probes-{Guid.NewGuid():N}.json.gz");
        File.Copy(othersProbes, mine);
        await Probes.ProbeFixtures.ChownAsync(mine, user);

        var ran = Path.Combine(slurm.JobDir, $"ran-{Guid.NewGuid():N}");
        var r = await slurm.AsUserAsync(user, "sbatch", "--parsable", "-N2", "-o", "/dev/null", "--datacrumbs-enable", $"--datacrumbs-probe-file={mine}", "--wrap", $"touch {ran}");
        var job = r.EnsureSuccess("sbatch").Stdout.Trim();

        var failed = new List<string>();
        foreach (var node in RealSlurmCluster.Nodes)
        {
            var (exit, output) = await slurm.HookDoneAsync("prolog", job, node);
            Assert.Equal(0, exit);
            if (output.Contains("job canceled", StringComparison.Ordinal)) failed.Add(node);
        }
        Assert.NotEmpty(failed);
        var states = (await slurm.AsRootAsync("sinfo", "-h", "-N", "-o", "%N %T")).EnsureSuccess("sinfo").Stdout;
        Assert.DoesNotContain("drain", states, StringComparison.OrdinalIgnoreCase);
        await slurm.JobOverAsync(job);
        Assert.Empty(slurm.LeftoversOf(job));
        // The job's script never ran; Slurm shows the job canceled (COMPLETING until slurmd has
        // reported the epilogs, which may be a moment after they ended), with the reason.
        Assert.False(File.Exists(ran), "the canceled job's script ran");
        var show = await slurm.ShowJobAsync(user, job);
        Assert.Matches("JobState=(CANCELLED|COMPLETING) ", show);
        Assert.Matches($@"AdminComment=datacrumbs: s{job}: (?i:failed): .*\(on-failure=fail: job canceled\)", show);
    }
}

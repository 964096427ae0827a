namespace Datacrumbs.Specs.RealSlurm;

/// <summary>
/// A traced job, however submitted, finds its tracer ready on both of its nodes before its first
/// task, and after it nothing is left: the tracer has exited and the run dir holds nothing of it.
/// Both nodes' prologs reach the one daemon of this host; the duplicate gets the same answer.
/// </summary>
[Collection(RealSlurmCollection.Name)]
public sealed class TracingSpecs(RealSlurmCluster slurm)
{
    /// <summary>Each path runs the ready check as one task on each of the two nodes.</summary>
    public static TheoryData<string> Paths => ["srun", "sbatch", "#SBATCH", "salloc"];

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public async Task The_tracer_is_ready_before_the_task_on_both_nodes_and_gone_after(string path)
    {
        slurm.Require();
        var probes = await slurm.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");
        string[] request = ["--datacrumbs-enable", $"--datacrumbs-probe-file={probes}"];
        var output = Path.Combine(slurm.JobDir, $"job-{Guid.NewGuid():N}.out");
        var script = Path.ChangeExtension(output, ".sh");
        await File.WriteAllTextAsync(script, "#!/bin/bash\n" + string.Concat(request.Select(o => $"#SBATCH {o}\n")) + $"srun -N2 --ntasks-per-node=1 {slurm.ReadyCheck}\n");
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);

        var r = path switch
        {
            "srun" => await slurm.AsUserAsync("dcalice", ["srun", "-N2", "--ntasks-per-node=1", .. request, slurm.ReadyCheck]),
            "sbatch" => await slurm.AsUserAsync("dcalice", ["sbatch", "-W", "-N2", "-o", output, .. request, "--wrap", $"srun -N2 --ntasks-per-node=1 {slurm.ReadyCheck}"]),
            "#SBATCH" => await slurm.AsUserAsync("dcalice", "sbatch", "-W", "-N2", "-o", output, script),
            "salloc" => await slurm.AsUserAsync("dcalice", ["salloc", "-N2", .. request, "srun", "-N2", "--ntasks-per-node=1", slurm.ReadyCheck]),
            _ => throw new ArgumentOutOfRangeException(nameof(path)),
        };
        r.EnsureSuccess(path);

        var answers = (path.Contains("SBATCH", StringComparison.OrdinalIgnoreCase) || path == "sbatch" ? await File.ReadAllTextAsync(output) : r.Stdout)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("srun:", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, answers.Count);
        Assert.All(answers, a => Assert.StartsWith("ready s", a, StringComparison.Ordinal));
        var job = answers[0].Split(' ')[1][1..];
        Assert.Equal(["n1", "n2"], answers.Select(a => a.Split(' ')[2]));
        foreach (var node in RealSlurmCluster.Nodes)
            Assert.Equal(0, (await slurm.HookDoneAsync("prolog", job, node)).ExitCode);

        await slurm.AssertNothingLeftAsync(job, slurm.TracerOf(job));
    }
}

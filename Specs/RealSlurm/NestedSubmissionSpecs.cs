namespace Datacrumbs.Specs.RealSlurm;

/// <summary>
/// Slurm hands a job's plugin options to submissions made from inside the job. A new job
/// submitted from a traced job (sbatch, salloc) is traced only if it asks again, with what it
/// asks for; srun inside the job starts a step of the same job, which the job's prolog covers.
/// </summary>
[Collection(RealSlurmCollection.Name)]
public sealed class NestedSubmissionSpecs(RealSlurmCluster slurm)
{
    [SkippableFact]
    public async Task A_job_submitted_from_a_traced_job_is_traced_only_when_it_asks_again()
    {
        slurm.Require();
        var outer = await slurm.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");
        var again = await slurm.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");
        var ids = Path.Combine(slurm.JobDir, $"nested-{Guid.NewGuid():N}");
        var script = ids + ".sh";
        await File.WriteAllTextAsync(script, $"""
            #!/bin/bash
            set -e
            srun -N1 true
            sbatch --parsable -W -N1 -o /dev/null --wrap true > {ids}.plain
            sbatch --parsable -W -N1 -o /dev/null --datacrumbs-enable --datacrumbs-probe-file={again} --wrap true > {ids}.again
            salloc -N1 printenv SLURM_JOB_ID > {ids}.salloc

            """);
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);

        var job = (await slurm.AsUserAsync("dcalice", "sbatch", "--parsable", "-W", "-N1", "-o", ids + ".out",
            "--datacrumbs-enable", $"--datacrumbs-probe-file={outer}", script)).EnsureSuccess("the outer job").Stdout.Trim();

        Assert.Equal(outer, (await Request(job)).File);
        Assert.Null((await Request((await File.ReadAllTextAsync(ids + ".plain")).Trim())).File);
        Assert.Null((await Request((await File.ReadAllTextAsync(ids + ".salloc")).Trim())).File);
        Assert.Equal(again, (await Request((await File.ReadAllTextAsync(ids + ".again")).Trim())).File);
    }

    /// <summary>The request a job's prolog saw (on whichever node it ran).</summary>
    private async Task<(string? Enable, string? File)> Request(string job)
    {
        var node = (await slurm.AsRootAsync("squeue", "-h", "-t", "all", "-j", job, "-o", "%N")).EnsureSuccess("squeue").Stdout.Trim();
        var env = await slurm.HookEnvironmentAsync("prolog", job, node);
        return (env.GetValueOrDefault("SPANK_DATACRUMBS_ENABLE"), env.GetValueOrDefault("SPANK_DATACRUMBS_PROBE_FILE"));
    }
}

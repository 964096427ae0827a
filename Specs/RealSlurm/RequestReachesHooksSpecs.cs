using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.RealSlurm;

/// <summary>
/// The plugin's request reaches the prolog and the epilog of every node of the job, from srun,
/// sbatch (options and #SBATCH lines) and salloc, as SPANK_DATACRUMBS_ENABLE and
/// SPANK_DATACRUMBS_PROBE_FILE (the contract with datacrumbsctl), beside Slurm's own trusted
/// SLURM_JOB_ID and SLURM_JOB_UID; a job that did not ask carries neither.
/// </summary>
[Collection(RealSlurmCollection.Name)]
public sealed class RequestReachesHooksSpecs(RealSlurmCluster slurm)
{
    /// <summary>Submits a two-node job as dcalice that prints its job id, in the way <paramref name="path"/> names.</summary>
    private async Task<string> SubmitAsync(string path, string[] request)
    {
        switch (path)
        {
            case "srun":
            case "salloc":
                var r = (await slurm.AsUserAsync("dcalice", [path, "-N2", .. request, "printenv", "SLURM_JOB_ID"])).EnsureSuccess(path);
                return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct().Single();
            case "sbatch":
                return (await slurm.AsUserAsync("dcalice", ["sbatch", "--parsable", "-W", "-N2", "-o", "/dev/null", .. request, "--wrap", "true"])).EnsureSuccess(path).Stdout.Trim();
            case "#SBATCH":
                var script = Path.Combine(slurm.JobDir, $"job-{Guid.NewGuid():N}.sh");
                await File.WriteAllTextAsync(script, "#!/bin/bash\n" + string.Concat(request.Select(o => $"#SBATCH {o}\n")) + "true\n");
                File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
                return (await slurm.AsUserAsync("dcalice", "sbatch", "--parsable", "-W", "-N2", "-o", "/dev/null", script)).EnsureSuccess(path).Stdout.Trim();
            default:
                throw new ArgumentOutOfRangeException(nameof(path), path, "no such submission path");
        }
    }

    [SkippableTheory]
    [InlineData("srun")]
    [InlineData("sbatch")]
    [InlineData("#SBATCH")]
    [InlineData("salloc")]
    public async Task Both_hooks_on_both_nodes_see_the_request_and_the_jobs_own_ids(string path)
    {
        slurm.Require();
        var probes = await slurm.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");

        var job = await SubmitAsync(path, ["--datacrumbs-enable", $"--datacrumbs-probe-file={probes}"]);

        foreach (var node in RealSlurmCluster.Nodes)
            foreach (var hook in new[] { "prolog", "epilog" })
            {
                var env = await slurm.HookEnvironmentAsync(hook, job, node);
                Assert.Equal("1", env.GetValueOrDefault("SPANK_DATACRUMBS_ENABLE"));
                Assert.Equal(probes, env.GetValueOrDefault("SPANK_DATACRUMBS_PROBE_FILE"));
                Assert.Equal(job, env.GetValueOrDefault("SLURM_JOB_ID"));
                Assert.Equal(TestUsers.Alice.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), env.GetValueOrDefault("SLURM_JOB_UID"));
            }
    }

    [SkippableTheory]
    [InlineData("srun")]
    [InlineData("sbatch")]
    [InlineData("salloc")]
    public async Task A_job_that_did_not_ask_carries_no_request_and_its_hooks_say_nothing(string path)
    {
        slurm.Require();

        var job = await SubmitAsync(path, []);

        foreach (var node in RealSlurmCluster.Nodes)
            foreach (var hook in new[] { "prolog", "epilog" })
            {
                var env = await slurm.HookEnvironmentAsync(hook, job, node);
                Assert.DoesNotContain(env.Keys, k => k.StartsWith("SPANK_DATACRUMBS", StringComparison.Ordinal));
                Assert.Equal((0, ""), await slurm.HookDoneAsync(hook, job, node));
            }
    }
}

namespace Datacrumbs.Specs.RealSlurm;

/// <summary>
/// What cannot be carried to the node is refused at submit, by srun, sbatch and salloc alike,
/// with one "datacrumbs:" line that names the problem, and no job is created.
/// </summary>
[Collection(RealSlurmCollection.Name)]
public sealed class SubmitRefusalSpecs(RealSlurmCluster slurm)
{
    public static TheoryData<string, string[], string> Refusals()
    {
        var data = new TheoryData<string, string[], string>();
        foreach (var program in new[] { "srun", "sbatch", "salloc" })
        {
            data.Add(program, ["--datacrumbs-enable", "--datacrumbs-probe-file=probes.json.gz"], "datacrumbs: --datacrumbs-probe-file: the path must be absolute");
            data.Add(program, ["--datacrumbs-enable", "--datacrumbs-probe-file=/tmp/probes\n.json.gz"], "datacrumbs: --datacrumbs-probe-file: the path contains a control character (\\x0a)");
            data.Add(program, ["--datacrumbs-enable", "--datacrumbs-probe-file=/tmp/\u001b[31mred"], "datacrumbs: --datacrumbs-probe-file: the path contains a control character (\\x1b)");
            data.Add(program, ["--datacrumbs-enable", $"--datacrumbs-probe-file=/{new string('a', 4095)}"], "datacrumbs: --datacrumbs-probe-file: the path is longer than 4095 bytes");
            data.Add(program, ["--datacrumbs-enable", "--datacrumbs-probe-file="], "datacrumbs: --datacrumbs-probe-file: the path is empty");
            data.Add(program, ["--datacrumbs-enable"], "datacrumbs: --datacrumbs-enable needs --datacrumbs-probe-file=PATH");
        }
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Refusals))]
    public async Task A_request_that_cannot_reach_the_node_is_refused_and_nothing_is_submitted(string program, string[] options, string message)
    {
        slurm.Require();
        var before = await slurm.JobCountAsync();

        var command = program == "sbatch" ? new[] { "--wrap", "true" } : ["true"];
        var r = await slurm.AsUserAsync("dcalice", [program, "-N1", .. options, .. command]);

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains($"{program}: error: {message}", r.Stderr);
        Assert.Equal(before, await slurm.JobCountAsync());
    }

    [SkippableTheory]
    [InlineData("srun")]
    [InlineData("sbatch")]
    [InlineData("salloc")]
    public async Task A_probe_file_without_enable_is_ignored_with_a_warning_and_the_job_runs_untraced(string program)
    {
        slurm.Require();

        var r = (await slurm.AsUserAsync("dcalice", [program, "-N1", "--datacrumbs-probe-file=/tmp/probes.json.gz",
            .. program == "sbatch" ? new[] { "--parsable", "-W", "--wrap", "true" } : ["printenv", "SLURM_JOB_ID"]])).EnsureSuccess(program);

        Assert.Contains($"{program}: datacrumbs: --datacrumbs-probe-file is ignored without --datacrumbs-enable: this job runs untraced", r.Stderr);
        var job = r.Stdout.Trim();
        var node = (await slurm.AsRootAsync("squeue", "-h", "-t", "all", "-j", job, "-o", "%N")).EnsureSuccess("squeue").Stdout.Trim();
        var env = await slurm.HookEnvironmentAsync("prolog", job, node);
        Assert.False(env.ContainsKey("SPANK_DATACRUMBS_ENABLE"));
        Assert.False(env.ContainsKey("SPANK_DATACRUMBS_PROBE_FILE"));
    }
}

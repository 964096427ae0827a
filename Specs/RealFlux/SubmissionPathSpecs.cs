namespace Datacrumbs.Specs.RealFlux;

/// <summary>
/// Every way a user submits carries the tracing request to the prolog. flux-core 0.88 drops
/// plugin options for --cc, --bcc and bulksubmit unless the plugin recovers them (the jobs then
/// ran untraced without a word): each job's tasks here look for their own ready file.
/// </summary>
[Collection(RealFluxCollection.Name)]
public sealed class SubmissionPathSpecs(RealFluxInstance flux)
{
    /// <summary>The ready checks' answers; --watch also prints the job ids.</summary>
    private static string[] Answers(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("ready ", StringComparison.Ordinal) || l.StartsWith("MISSING", StringComparison.Ordinal)).ToArray();

    public static TheoryData<string, string[], int> Paths => new()
    {
        { "run", ["run", "-N2"], 2 },
        { "submit", ["submit", "--watch", "-N2"], 2 },
        { "submit --cc", ["submit", "--watch", "--cc=1-2"], 2 },
        { "submit --bcc", ["submit", "--watch", "--bcc=1-2"], 2 },
        { "alloc", ["alloc", "-N1"], 1 },
    };

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public async Task Every_job_of_the_submission_is_traced(string path, string[] submit, int jobsTimesRanks)
    {
        _ = path;
        flux.Require();
        var probes = await flux.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");

        var r = (await flux.AsUserAsync("dcalice", [.. submit, "--datacrumbs-enable", "--datacrumbs-probe-file", Path.GetFileName(probes),
            flux.ReadyCheck])).EnsureSuccess(path);

        var lines = Answers(r.Stdout);
        Assert.Equal(jobsTimesRanks, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("ready f", l));
    }

    [SkippableFact]
    public async Task Every_job_of_a_bulksubmit_is_traced()
    {
        flux.Require();
        var probes = await flux.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");

        var r = (await flux.AsUserAsync("dcalice", ["bulksubmit", "--watch", "--datacrumbs-enable", "--datacrumbs-probe-file", Path.GetFileName(probes),
            flux.ReadyCheck, "{}", ":::", "a", "b"])).EnsureSuccess("bulksubmit");

        var lines = Answers(r.Stdout);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("ready f", l));
    }

    [SkippableFact]
    public async Task A_batch_job_is_traced()
    {
        flux.Require();
        var probes = await flux.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");
        var output = $"batch-{Guid.NewGuid():N}.out";

        var job = (await flux.AsUserAsync("dcalice", ["batch", "-N1", $"--output={output}", "--datacrumbs-enable", "--datacrumbs-probe-file", Path.GetFileName(probes),
            "--wrap", flux.ReadyCheck])).EnsureSuccess("batch").Stdout.Trim();
        (await flux.AsUserAsync("dcalice", "job", "wait-event", "--timeout=100", job, "clean")).EnsureSuccess("wait for the batch job");

        Assert.Equal($"ready {job.Replace('ƒ', 'f')}\n", await File.ReadAllTextAsync(Path.Combine(flux.JobDir, output)));
    }
}

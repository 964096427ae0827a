namespace Datacrumbs.Specs.RealFlux;

/// <summary>
/// Policy fail on a real Flux: a job whose tracing cannot start is canceled by one fatal job
/// exception that carries the reason to the submitting terminal, and no node is drained (a
/// prolog exiting non-zero would drain every node of the job for the user's mistake).
/// </summary>
[Collection(RealFluxCollection.Name)]
public sealed class FailPolicySpecs(RealFluxInstance flux)
{
    [SkippableFact]
    public async Task A_job_whose_tracing_fails_is_canceled_with_the_reason_and_no_node_is_drained()
    {
        flux.Require();
        var name = $"not-a-document-{Guid.NewGuid():N}.json.gz";
        await File.WriteAllTextAsync(Path.Combine(flux.JobDir, name), "not a probes file\n"); // neither gzip nor JSON (the runtime takes both)
        File.SetUnixFileMode(Path.Combine(flux.JobDir, name), (UnixFileMode)0b110_100_100);

        try
        {
            var run = await flux.AsUserAsync(RealFluxInstance.FailUser, "run", "-N2", "--datacrumbs-enable", "--datacrumbs-probe-file", name, "echo", "ran");

            Assert.NotEqual(0, run.ExitCode);
            Assert.Equal("", run.Stdout); // the job never started
            Assert.Contains("type=datacrumbs severity=0", run.Stderr);
            Assert.Contains("failed to parse probe file", run.Stderr);
            Assert.Contains("on-failure=fail: job canceled", run.Stderr);
            Assert.DoesNotContain("type=prolog", run.Stderr); // no "prolog exited with code=1"
            var drained = (await flux.AsOwnerAsync("resource", "drain", "--no-header")).EnsureSuccess("flux resource drain");
            Assert.Equal("", drained.Stdout.Trim());
        }
        finally
        {
            // A failure here must not leave the shared instance without nodes for the other specs.
            await flux.AsOwnerAsync("resource", "undrain", "0-1");
        }
    }
}

namespace Datacrumbs.Specs.RealFlux;

/// <summary>
/// A node whose daemon is stopped on a real Flux: jobs that did not ask for tracing must not
/// notice (no exception, no `flux dmesg` line, no drained node even under policy fail); a job
/// that asked is told on the submitting terminal that tracing is unavailable, and runs
/// (policy continue). The hooks read the jobspec themselves, as the instance owner, through flux-imp.
/// </summary>
[Collection(RealFluxCollection.Name)]
public sealed class DownDaemonSpecs(RealFluxInstance flux)
{
    private static string Plain(string fluxId) => fluxId.Replace('ƒ', 'f');

    private async Task<string> CleanEventlogAsync(string user, string job)
    {
        (await flux.AsUserAsync(user, "job", "wait-event", "--timeout=100", job, "clean")).EnsureSuccess("flux job wait-event clean");
        return (await flux.AsUserAsync(user, "job", "eventlog", job)).EnsureSuccess("flux job eventlog").Stdout;
    }

    [SkippableTheory]
    [InlineData("dcalice")]                    // policy continue
    [InlineData(RealFluxInstance.FailUser)]    // policy fail: a drained node would be the worst outcome
    public async Task Jobs_that_did_not_ask_run_as_if_there_were_no_datacrumbs(string user)
    {
        flux.Require();
        string job;
        using (flux.DaemonStopped())
        {
            var run = (await flux.AsUserAsync(user, "submit", "-N2", "echo", "ran")).EnsureSuccess("flux submit");
            job = run.Stdout.Trim();
            var output = (await flux.AsUserAsync(user, "job", "attach", job)).EnsureSuccess("flux job attach");
            Assert.Equal("ran\nran\n", output.Stdout);
            var eventlog = await CleanEventlogAsync(user, job);
            Assert.DoesNotContain("exception", eventlog);
        }
        var dmesg = (await flux.AsOwnerAsync("dmesg")).EnsureSuccess("flux dmesg").Stdout;
        Assert.DoesNotContain(Plain(job), dmesg);
        var drained = (await flux.AsOwnerAsync("resource", "drain", "--no-header")).EnsureSuccess("flux resource drain");
        Assert.Equal("", drained.Stdout.Trim());
    }

    [SkippableFact]
    public async Task A_job_that_asked_is_told_tracing_is_unavailable_once_and_runs()
    {
        flux.Require();
        var probes = await flux.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");
        using (flux.DaemonStopped())
        {
            var run = await flux.AsUserAsync("dcalice", "run", "-N2", "--datacrumbs-enable", "--datacrumbs-probe-file", Path.GetFileName(probes), "echo", "ran");

            Assert.Equal(0, run.ExitCode);
            Assert.Equal("ran\nran\n", run.Stdout);
            Assert.Contains("type=datacrumbs severity=1", run.Stderr);
            Assert.Contains("the datacrumbs daemon is not running", run.Stderr);
            // One exception per job, raised by its first rank's prolog, however many nodes it has.
            Assert.Single(run.Stderr.Split('\n'), l => l.Contains("type=datacrumbs", StringComparison.Ordinal));
        }
    }
}

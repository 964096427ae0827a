using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.RealFlux;

/// <summary>
/// The whole chain on a real multi-user Flux: an ordinary user submits to the `flux`-owned
/// instance, whose prolog and epilog run per rank as root through flux-imp with only FLUX_*
/// variables, and whose [access] does not admit root (the daemon reads the jobspec as the
/// instance owner).
/// </summary>
[Collection(RealFluxCollection.Name)]
public sealed class MultiUserTracingSpecs(RealFluxInstance flux)
{
    /// <summary>Submits as the user and returns the job id (f58, as flux prints it).</summary>
    private async Task<string> SubmitAsync(string user, params string[] args)
    {
        var r = (await flux.AsUserAsync(user, ["submit", .. args])).EnsureSuccess("flux submit");
        return r.Stdout.Trim();
    }

    /// <summary>Waits for the job's epilogs to have finished on every rank (`flux run` returns before).</summary>
    private async Task<string> CleanEventlogAsync(string user, string job)
    {
        (await flux.AsUserAsync(user, "job", "wait-event", "--timeout=100", job, "clean")).EnsureSuccess("flux job wait-event clean");
        return (await flux.AsUserAsync(user, "job", "eventlog", job)).EnsureSuccess("flux job eventlog").Stdout;
    }

    private static string Plain(string fluxId) => fluxId.Replace('ƒ', 'f');

    [SkippableFact]
    public async Task An_ordinary_users_traced_job_sees_the_ready_file_on_every_rank_and_leaves_nothing()
    {
        flux.Require();
        var probes = await flux.SignedProbesForAsync("dcalice", "alice-probes.json.gz");
        // Each task looks for its job's ready file on its own node (one task per node).
        var job = await SubmitAsync("dcalice", "-N2", "--datacrumbs-enable", "--datacrumbs-probe-file", Path.GetFileName(probes),
            "bash", "-c", "f=${FLUX_JOB_ID/#ƒ/f}; test -e \"$0/datacrumbs-$f.ready\" && echo \"ready file seen\"", flux.Daemon.RunDir);

        var output = (await flux.AsUserAsync("dcalice", "job", "attach", "--label-io", job)).EnsureSuccess("flux job attach");
        var eventlog = await CleanEventlogAsync("dcalice", job);

        Assert.Equal(["0: ready file seen", "1: ready file seen"], output.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.DoesNotContain("exception", eventlog); // traced without a word to the user
        Assert.DoesNotContain(flux.Daemon.Leftovers(), n => n.Contains(Plain(job), StringComparison.Ordinal)); // no tracer pid, env, copy or ready file
        var dmesg = (await flux.AsOwnerAsync("dmesg")).EnsureSuccess("flux dmesg").Stdout;
        Assert.Contains($"datacrumbs: {Plain(job)}: ready:", dmesg); // the hooks ran, through flux-imp, and found the daemon
        Assert.Contains($"datacrumbs: {Plain(job)}: stopped:", dmesg);
    }

    [SkippableFact]
    public async Task A_job_that_did_not_ask_runs_without_a_line_in_flux_dmesg()
    {
        flux.Require();
        var job = await SubmitAsync("dcalice", "-N2", "true");

        var eventlog = await CleanEventlogAsync("dcalice", job);

        Assert.DoesNotContain("exception", eventlog);
        var dmesg = (await flux.AsOwnerAsync("dmesg")).EnsureSuccess("flux dmesg").Stdout;
        Assert.DoesNotContain(Plain(job), dmesg);
        Assert.DoesNotContain(job, dmesg);
    }

    [SkippableFact]
    public async Task Root_is_not_among_the_instances_roles_so_the_daemon_must_not_read_jobspecs_as_root()
    {
        flux.Require();
        var job = await SubmitAsync("dcalice", "true");
        await CleanEventlogAsync("dcalice", job);

        var asRoot = await Run.CommandAsync(RealFluxInstance.Flux, ["job", "info", job, "jobspec"], RealFluxInstance.Generous,
            new Dictionary<string, string?> { ["FLUX_URI"] = flux.Uri });

        Assert.NotEqual(0, asRoot.ExitCode); // what the daemon met before it read jobspecs as the instance owner
        Assert.Contains("access is restricted", asRoot.Stderr);
    }
}

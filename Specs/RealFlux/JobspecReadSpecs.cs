namespace Datacrumbs.Specs.RealFlux;

/// <summary>
/// The daemon reads jobspecs through libflux-core (job-info.lookup on a handle per broker), not
/// with a `flux job info` process per job: the fast path of issue 15. The instance admits its
/// owner and not root, so a traced job on both ranks proves the handles were opened as the owner.
/// </summary>
[Collection(RealFluxCollection.Name)]
public sealed class JobspecReadSpecs(RealFluxInstance flux)
{
    [SkippableFact]
    public async Task The_daemon_reads_jobspecs_through_libflux_core_as_the_instance_owner_on_every_broker()
    {
        flux.Require();
        var probes = await flux.SignedProbesForAsync("dcalice", "library-read-probes.json.gz");

        var run = (await flux.AsUserAsync("dcalice", "run", "-N2", "--label-io", "--datacrumbs-enable",
            "--datacrumbs-probe-file", Path.GetFileName(probes), flux.ReadyCheck)).EnsureSuccess("flux run");

        Assert.Contains($"jobspecs read through {RealFluxInstance.FluxPrefix}/lib/libflux-core.so.2", flux.Daemon.Log);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order().ToArray();
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"^[01]: ready f\w+$", l)); // traced on both ranks (local-0 and local-1)
    }
}

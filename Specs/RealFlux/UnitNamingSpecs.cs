using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.RealFlux;

/// <summary>
/// The real-Flux daemon runs tracers with the process backend, which has no systemd unit: its
/// messages and `datacrumbsctl status` must not send a sysadmin looking for
/// datacrumbs@JOB.service. (That the systemd backend names its unit is SystemdDaemonSpec's.)
/// </summary>
[Collection(RealFluxCollection.Name)]
public sealed class UnitNamingSpecs(RealFluxInstance flux)
{
    private static string Plain(string fluxId) => fluxId.Replace('ƒ', 'f');

    [SkippableFact]
    public async Task The_process_backend_names_no_unit_in_the_prolog_line_or_in_status()
    {
        flux.Require();
        var probes = await flux.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");
        var job = (await flux.AsUserAsync("dcalice", "submit", "-N2", "--datacrumbs-enable", "--datacrumbs-probe-file", Path.GetFileName(probes), "sleep", "600"))
            .EnsureSuccess("flux submit").Stdout.Trim();
        try
        {
            (await flux.AsUserAsync("dcalice", "job", "wait-event", "--timeout=100", job, "start")).EnsureSuccess("flux job wait-event start");

            var status = (await flux.Daemon.CtlAsync(null, "status")).EnsureSuccess("datacrumbsctl status").Stdout.Split('\n');
            var row = Assert.Single(status, l => l.StartsWith(Plain(job) + " ", StringComparison.Ordinal));
            Assert.DoesNotContain("datacrumbs@", string.Join('\n', status));
            Assert.Contains(" - ", row); // the UNIT column: none
            var dmesg = (await flux.AsOwnerAsync("dmesg")).EnsureSuccess("flux dmesg").Stdout.Split('\n');
            var ready = Assert.Single(dmesg.Where(l => l.Contains($"datacrumbs: {Plain(job)}: ready:", StringComparison.Ordinal)).Take(1));
            Assert.Contains($"tracing {Plain(job)} with the tracer process datacrumbs-standin-tracer[", ready);
        }
        finally
        {
            await flux.AsUserAsync("dcalice", "cancel", job);
            await flux.AsUserAsync("dcalice", "job", "wait-event", "--timeout=100", job, "clean");
        }
    }
}

using Xunit.Abstractions;
using System.Text.Json;
using Datacrumbs.Messages.Unix;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.RealFlux;

/// <summary>
/// `datacrumbsctl cluster-status`, run by the instance owner, gathers every rank's
/// `datacrumbsctl status --json` with `flux exec -r all` and prints one table. On the shared real
/// Flux both brokers (ranks 0 and 1) are on one host with one daemon, so each rank reports the same
/// jobs: a traced job (Ready) and a refused one (Failed, with its error), both spanning both ranks.
/// A daemon that does not answer is a row per rank with the client's reason, and exit 3.
/// </summary>
[Collection(RealFluxCollection.Name)]
public sealed class ClusterStatusSpecs(RealFluxInstance flux, ITestOutputHelper output)
{
    private static readonly string Host = System.Net.Dns.GetHostName();

    private static uint Uid(string user) => UnixAccounts.LookupUid(user) ?? throw new InvalidOperationException($"user {user} is missing (test.sh creates it)");

    private async Task<string> PlainIdAsync(string job) =>
        "f" + (await flux.AsOwnerAsync("job", "id", "--to=f58plain", job)).EnsureSuccess("flux job id").Stdout.Trim()[1..];

    private Task<Run.Result> ClusterStatusAsync(params string[] args) =>
        flux.ProgramAsUserAsync("flux", DaemonProcess.Ctl, ["cluster-status", .. args]);

    [SkippableFact]
    public async Task The_instance_owner_sees_every_ranks_jobs_in_one_table_with_their_state_and_error()
    {
        flux.Require();
        var probes = Path.GetFileName(await flux.SignedProbesForAsync("dcalice", $"cluster-{Guid.NewGuid():N}.json.gz"));
        var refusedName = $"cluster-refused-{Guid.NewGuid():N}.json.gz";
        var refused = Path.Combine(flux.JobDir, refusedName);
        ProbeFixtures.WriteFile(refused, ProbeFixtures.SignFor(Uid("dcbob"), "dcbob", flux.Keys), 0b110_000_000); // another user's
        await ProbeFixtures.ChownAsync(refused, "dcalice");
        // The jobs' work outlasts the spec, which cancels them once it has read the table. One core
        // on each of the two nodes (-n2: -N alone would take whole nodes, and the second job would wait).
        var traced = (await flux.AsUserAsync("dcalice", "submit", "-N2", "-n2", "--datacrumbs-enable", "--datacrumbs-probe-file", probes, "sleep", "600"))
            .EnsureSuccess("flux submit").Stdout.Trim();
        var failed = (await flux.AsUserAsync("dcalice", "submit", "-N2", "-n2", "--datacrumbs-enable", "--datacrumbs-probe-file", refusedName, "sleep", "600"))
            .EnsureSuccess("flux submit").Stdout.Trim();
        try
        {
            // Started: every rank's prolog has answered, so the daemon holds both jobs in their final prolog state.
            foreach (var job in new[] { traced, failed })
                (await flux.AsUserAsync("dcalice", "job", "wait-event", "--timeout=100", job, "start")).EnsureSuccess("flux job wait-event start");
            var (tracedId, failedId) = (await PlainIdAsync(traced), await PlainIdAsync(failed));

            var table = (await ClusterStatusAsync("--socket", flux.Daemon.Socket)).EnsureSuccess("datacrumbsctl cluster-status");
            var json = (await ClusterStatusAsync("--socket", flux.Daemon.Socket, "--json")).EnsureSuccess("datacrumbsctl cluster-status --json");

            using var rows = JsonDocument.Parse(json.Stdout);
            var mine = rows.RootElement.EnumerateArray()
                .Where(r => r.GetProperty("job").GetString() is { } j && (j == tracedId || j == failedId))
                .Select(r => (Rank: r.GetProperty("rank").GetInt32(), Node: r.GetProperty("node").GetString(), Job: r.GetProperty("job").GetString(),
                    User: r.GetProperty("user").GetString(), State: r.GetProperty("state").GetString(), Error: r.GetProperty("error").GetString()))
                .OrderBy(r => r.Rank).ThenBy(r => r.Job == failedId).ToList();
            Assert.Equal(4, mine.Count);
            foreach (var rank in new[] { 0, 1 })
            {
                var ready = Assert.Single(mine, r => r.Rank == rank && r.Job == tracedId);
                Assert.Equal((Host, "dcalice", "Ready", ""), (ready.Node, ready.User, ready.State, ready.Error));
                var bad = Assert.Single(mine, r => r.Rank == rank && r.Job == failedId);
                // Refused while resolving: the daemon has not taken the user's name yet, so status shows the uid.
                Assert.Equal((Host, Uid("dcalice").ToString(System.Globalization.CultureInfo.InvariantCulture), "Failed"), (bad.Node, bad.User, bad.State));
                Assert.Contains("failed in Resolving", bad.Error);
            }
            var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith("NODE", lines[0]);
            Assert.Equal(2, lines.Count(l => l.Contains(tracedId, StringComparison.Ordinal) && l.Contains("Ready", StringComparison.Ordinal)));
            Assert.Equal(2, lines.Count(l => l.Contains(failedId, StringComparison.Ordinal) && l.Contains("failed in Resolving", StringComparison.Ordinal)));
            output.WriteLine($"cluster-status as the instance owner:\n{table.Stdout}");
        }
        finally
        {
            await flux.AsUserAsync("dcalice", "cancel", traced, failed);
            foreach (var job in new[] { traced, failed })
                await flux.AsUserAsync("dcalice", "job", "wait-event", "--timeout=100", job, "clean");
        }
    }

    [SkippableFact]
    public async Task A_daemon_that_does_not_answer_is_a_row_per_rank_with_the_reason_and_exit_3()
    {
        flux.Require();
        var nowhere = Path.Combine(flux.JobDir, $"no-daemon-{Guid.NewGuid():N}.sock");

        var run = await ClusterStatusAsync("--socket", nowhere, "--timeout", "5");

        Assert.Equal(3, run.ExitCode);
        var rows = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r =>
        {
            Assert.StartsWith(Host, r);
            Assert.Contains("unreachable", r);
            Assert.Contains(nowhere, r);
        });
        output.WriteLine($"cluster-status with no daemon:\n{run.Stdout}");
    }
}

using Xunit.Abstractions;
using System.IO.Compression;
using Datacrumbs.Messages.Unix;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.RealFlux;

/// <summary>
/// The job shows its user its tracing state in `flux jobs -o '{id} {annotations.user.datacrumbs}'`:
/// the memo `datacrumbs` holds one member per node (here both brokers share one host, so one),
/// set by that node's daemon as the instance owner. Jobs are submitted by ordinary users. A traced
/// job says "traced" while it runs and, after its epilog, where the runtime's trace is: the
/// stand-in writes it by the runtime's rule on SIGINT, so the path the memo names is a real file.
/// A refused job (policy Continue) says "untraced" and why; under policy Fail "failed". A job
/// that never asked for tracing gets no memo at all.
/// </summary>
[Collection(RealFluxCollection.Name)]
public sealed class JobMemoSpecs(RealFluxInstance flux, ITestOutputHelper output)
{
    private static readonly string Host = System.Net.Dns.GetHostName();
    private const string MemoColumn = "{id} {annotations.user.datacrumbs}";

    private static uint Uid(string user) => UnixAccounts.LookupUid(user) ?? throw new InvalidOperationException($"user {user} is missing (test.sh creates it)");

    private async Task<string> FluxJobsAsync(string user, string job)
    {
        var shown = (await flux.AsUserAsync(user, "jobs", "--no-header", "-o", MemoColumn, job)).EnsureSuccess("flux jobs").Stdout.Trim();
        output.WriteLine($"{user}$ flux jobs -o '{MemoColumn}' {job}\n{shown}");
        return shown;
    }

    private async Task<string[]> MemoEventsAsync(string user, string job) =>
        (await flux.AsUserAsync(user, "job", "eventlog", job)).EnsureSuccess("flux job eventlog").Stdout
            .Split('\n').Where(l => l.Split(' ').ElementAtOrDefault(1) == "memo").ToArray();

    private async Task<string> PlainIdAsync(string user, string job) =>
        "f" + (await flux.AsUserAsync(user, "job", "id", "--to=f58plain", job)).EnsureSuccess("flux job id").Stdout.Trim()[1..];

    private async Task<string> ProbesAsync(string user, byte[] content)
    {
        var name = $"memo-{Guid.NewGuid():N}.json.gz";
        var path = Path.Combine(flux.JobDir, name);
        ProbeFixtures.WriteFile(path, content, 0b110_000_000);
        await ProbeFixtures.ChownAsync(path, user);
        return name;
    }

    [SkippableFact]
    public async Task A_traced_job_shows_traced_while_it_runs_and_where_its_trace_is_after_its_epilog()
    {
        flux.Require();
        var probes = Path.GetFileName(await flux.SignedProbesForAsync("dcalice", $"memo-{Guid.NewGuid():N}.json.gz"));
        // Each task waits for the node's first memo and prints what `flux jobs` shows the user then.
        var job = (await flux.AsUserAsync("dcalice", "submit", "-N2", "--datacrumbs-enable", "--datacrumbs-probe-file", probes,
            "bash", "-c", $"flux job wait-event --timeout=100 --quiet \"$FLUX_JOB_ID\" memo && flux jobs --no-header -o '{MemoColumn}' \"$FLUX_JOB_ID\""))
            .EnsureSuccess("flux submit").Stdout.Trim();
        var whileRunning = (await flux.AsUserAsync("dcalice", "job", "attach", job)).EnsureSuccess("flux job attach").Stdout;
        output.WriteLine($"while it ran:\n{whileRunning}");
        (await flux.AsUserAsync("dcalice", "job", "wait-event", "--timeout=100", job, "clean")).EnsureSuccess("flux job wait-event clean");
        var after = await FluxJobsAsync("dcalice", job);

        // The trace the stand-in wrote on SIGINT, by the runtime's rule (its own code, not the daemon's).
        var plain = await PlainIdAsync("dcalice", job);
        var trace = Assert.Single(Directory.GetFiles(Path.Combine(flux.Daemon.WorkDir, "traces"), $"trace-dcalice-{plain}-*", SearchOption.AllDirectories));
        Assert.Equal($"trace-dcalice-{plain}-{Host}-datacrumbs-{plain}.probes.json.pfw.gz", Path.GetFileName(trace));
        Assert.Equal($"{Uid("dcalice")} 660", (await Run.CommandAsync("stat", ["-c", "%u %a", trace], RealFluxInstance.Generous)).EnsureSuccess("stat").Stdout.Trim());
        using (var gz = new GZipStream(File.OpenRead(trace), CompressionMode.Decompress)) Assert.StartsWith("[", new StreamReader(gz).ReadToEnd());

        Assert.All(whileRunning.Split('\n', StringSplitOptions.RemoveEmptyEntries), line =>
        {
            Assert.Contains(Host, line);
            Assert.Contains($"traced: the trace will be {trace}", line);
        });
        Assert.StartsWith(job, after);
        Assert.Contains(Host, after);
        Assert.Contains($"traced: trace at {trace}", after);
        Assert.Equal(2, (await MemoEventsAsync("dcalice", job)).Length); // one node: traced, then the trace; not one per broker
    }

    [SkippableFact]
    public async Task A_refused_job_shows_untraced_and_why_under_policy_continue()
    {
        flux.Require();
        var probes = await ProbesAsync("dcalice", ProbeFixtures.SignFor(Uid("dcbob"), "dcbob", flux.Keys)); // signed for another user
        var job = (await flux.AsUserAsync("dcalice", "submit", "-N2", "--datacrumbs-enable", "--datacrumbs-probe-file", probes, "true"))
            .EnsureSuccess("flux submit").Stdout.Trim();
        (await flux.AsUserAsync("dcalice", "job", "wait-event", "--timeout=100", job, "clean")).EnsureSuccess("flux job wait-event clean");

        var shown = await FluxJobsAsync("dcalice", job);
        Assert.Contains(Host, shown);
        Assert.Contains("untraced: ", shown);
        Assert.Contains("(in Resolving); the job runs untraced", shown);
        Assert.Single(await MemoEventsAsync("dcalice", job));
    }

    [SkippableFact]
    public async Task A_refused_job_shows_failed_under_policy_fail()
    {
        flux.Require();
        var user = RealFluxInstance.FailUser; // routed to the daemon whose policy is Fail
        var probes = await ProbesAsync(user, ProbeFixtures.SignFor(Uid("dcalice"), "dcalice", flux.Keys));
        var job = (await flux.AsUserAsync(user, "submit", "-N2", "--datacrumbs-enable", "--datacrumbs-probe-file", probes, "true"))
            .EnsureSuccess("flux submit").Stdout.Trim();
        (await flux.AsUserAsync(user, "job", "wait-event", "--timeout=100", job, "clean")).EnsureSuccess("flux job wait-event clean");

        var shown = await FluxJobsAsync(user, job);
        Assert.Contains(Host, shown);
        Assert.Contains("failed: ", shown);
        Assert.Contains("(in Resolving); the site's policy (OnFailure: Fail) cancels the job", shown);
    }

    [SkippableFact]
    public async Task A_job_that_did_not_ask_for_tracing_gets_no_memo()
    {
        flux.Require();
        var job = (await flux.AsUserAsync("dcalice", "submit", "-N2", "true")).EnsureSuccess("flux submit").Stdout.Trim();
        (await flux.AsUserAsync("dcalice", "job", "wait-event", "--timeout=100", job, "clean")).EnsureSuccess("flux job wait-event clean");

        Assert.Empty(await MemoEventsAsync("dcalice", job));
        Assert.Equal(job, await FluxJobsAsync("dcalice", job));
    }
}

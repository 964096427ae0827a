using System.IO.Compression;
using System.Text;
using Datacrumbs.Messages.Unix;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.RealFlux;

/// <summary>
/// What a user can get wrong in a probes file that only the node's daemon can judge (the
/// signature, its owner, its age, its format): under policy continue the job runs untraced, and
/// the submitting terminal shows one line saying why: one job exception for the whole job, not
/// one per rank. What the CLI plugin already sees at submit time (a probe file without
/// --datacrumbs-enable; a file missing, unreadable, a directory) never stops the submission: one
/// "datacrumbs:" line on the terminal, then without enable the job runs untraced, with enable the
/// request goes on and the node's policy decides (continue: the job runs with the node's
/// exception; fail: canceled, no node drained).
/// </summary>
[Collection(RealFluxCollection.Name)]
public sealed class RefusalSpecs(RealFluxInstance flux)
{
    private static byte[] Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Fastest)) gz.Write(Encoding.UTF8.GetBytes(text));
        return buffer.ToArray();
    }

    private static uint Uid(string user) => UnixAccounts.LookupUid(user) ?? throw new InvalidOperationException($"user {user} is missing (test.sh creates it)");

    public static TheoryData<string, string> Refusals => new()
    {
        { "not gzip", "not gzip" },
        { "unsigned", "unsigned" },
        { "expired", "expired" },
        { "other user's", "other user's" },
        { "unknown key", "unknown key" },
    };

    private byte[] Content(string what) => what switch
    {
        "not gzip" => Encoding.UTF8.GetBytes("this is not a probes file\n"),
        "unsigned" => Gzip(ProbeFixtures.SampleProbes),
        "expired" => ProbeFixtures.SignFor(Uid("dcalice"), "dcalice", flux.Keys, DateTimeOffset.UtcNow.AddDays(-2), TimeSpan.FromDays(1)),
        "other user's" => ProbeFixtures.SignFor(Uid("dcbob"), "dcbob", flux.Keys),
        "unknown key" => ProbeFixtures.SignFor(Uid("dcalice"), "dcalice", ProbeFixtures.NewSecret()), // another site's secret
        _ => throw new ArgumentOutOfRangeException(nameof(what)),
    };

    [SkippableTheory]
    [MemberData(nameof(Refusals))]
    public async Task A_refused_probes_file_gives_the_user_one_line_and_the_job_runs(string what, string _)
    {
        flux.Require();
        var name = $"refused-{Guid.NewGuid():N}.json.gz";
        var path = Path.Combine(flux.JobDir, name);
        ProbeFixtures.WriteFile(path, Content(what), 0b110_000_000);
        await ProbeFixtures.ChownAsync(path, "dcalice");

        var run = await flux.AsUserAsync("dcalice", "run", "-N2", "--datacrumbs-enable", "--datacrumbs-probe-file", name, "echo", "ran");

        Assert.True(run.ExitCode == 0, $"flux run exited {run.ExitCode}: {run.Stderr}");
        Assert.Equal(["ran", "ran"], run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var said = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(said); // one job exception for two ranks, nothing else
        Assert.Contains("datacrumbs", line);
        Assert.Contains("job runs untraced", line);
    }

    /// <summary>A probe file the job's user cannot use as the plugin sees it: its name in <see cref="RealFluxInstance.JobDir"/>.</summary>
    private string UnusableProbeFile(string what)
    {
        var name = $"{what}-{Guid.NewGuid():N}.json.gz";
        var path = Path.Combine(flux.JobDir, name);
        switch (what)
        {
            case "missing":
                break;
            case "unreadable": // signed for the user, but only root may read it
                ProbeFixtures.WriteFile(path, ProbeFixtures.SignFor(Uid("dcalice"), "dcalice", flux.Keys), 0b110_000_000);
                break;
            case "directory":
                Directory.CreateDirectory(path);
                File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(what));
        }
        return name;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [SkippableFact]
    public async Task A_probe_file_without_enable_gives_one_line_and_the_job_runs_untraced()
    {
        flux.Require();
        var probes = await flux.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");

        var run = await flux.AsUserAsync("dcalice", "run", "-N2", "--datacrumbs-probe-file", Path.GetFileName(probes), "echo", "ran");

        Assert.True(run.ExitCode == 0, $"flux run exited {run.ExitCode}: {run.Stderr}");
        Assert.Equal(["ran", "ran"], Lines(run.Stdout));
        var line = Assert.Single(Lines(run.Stderr)); // the plugin's note; no job exception: nothing was asked of the nodes
        Assert.Equal("datacrumbs: --datacrumbs-probe-file is ignored without --datacrumbs-enable: this job runs untraced (add --datacrumbs-enable to trace it)", line);
    }

    /// <summary>What the plugin sees at submit, and the cause the node names when it reads the file as the user.</summary>
    public static TheoryData<string, string> SeenAtSubmit => new()
    {
        { "missing", "cannot read it: No such file or directory" },
        { "unreadable", "cannot read it: Permission denied" },
        { "directory", "cannot read it: Is a directory" },
    };

    [SkippableTheory]
    [MemberData(nameof(SeenAtSubmit))]
    public async Task A_probe_file_the_plugin_cannot_use_is_still_sent_and_under_continue_the_job_runs_with_the_nodes_reason(string what, string nodeSays)
    {
        flux.Require();
        var name = UnusableProbeFile(what);

        var run = await flux.AsUserAsync("dcalice", "run", "-N2", "--datacrumbs-enable", "--datacrumbs-probe-file", name, "echo", "ran");

        Assert.True(run.ExitCode == 0, $"flux run exited {run.ExitCode}: {run.Stderr}");
        Assert.Equal(["ran", "ran"], Lines(run.Stdout));
        var said = Lines(run.Stderr);
        Assert.Equal(2, said.Length); // the plugin's note at submit, the node's one exception for two ranks
        Assert.StartsWith($"datacrumbs: --datacrumbs-probe-file {Path.Combine(flux.JobDir, name)}: ", said[0]);
        Assert.Contains("the request is sent anyway", said[0]);
        Assert.Contains("type=datacrumbs severity=1", said[1]);
        Assert.True(said[1].Contains(nodeSays, StringComparison.Ordinal), $"the node's exception should say '{nodeSays}': {said[1]}");
        Assert.Contains("job runs untraced", said[1]);
    }

    [SkippableTheory]
    [MemberData(nameof(SeenAtSubmit))]
    public async Task A_probe_file_the_plugin_cannot_use_is_still_sent_and_under_fail_the_job_is_canceled_and_no_node_drained(string what, string nodeSays)
    {
        flux.Require();
        var name = UnusableProbeFile(what);

        try
        {
            var run = await flux.AsUserAsync(RealFluxInstance.FailUser, "run", "-N2", "--datacrumbs-enable", "--datacrumbs-probe-file", name, "echo", "ran");

            Assert.NotEqual(0, run.ExitCode);
            Assert.Equal("", run.Stdout); // the job never started
            Assert.StartsWith($"datacrumbs: --datacrumbs-probe-file {Path.Combine(flux.JobDir, name)}: ", run.Stderr);
            Assert.Contains("type=datacrumbs severity=0", run.Stderr);
            Assert.Contains(nodeSays, run.Stderr);
            Assert.Contains("on-failure=fail: job canceled", run.Stderr);
            var drained = (await flux.AsOwnerAsync("resource", "drain", "--no-header")).EnsureSuccess("flux resource drain");
            Assert.Equal("", drained.Stdout.Trim());
        }
        finally
        {
            await flux.AsOwnerAsync("resource", "undrain", "0-1"); // never leave the shared instance without nodes
        }
    }

    [SkippableFact]
    public async Task Many_jobs_from_one_submission_give_the_note_once()
    {
        flux.Require();
        var name = UnusableProbeFile("missing");

        var submit = await flux.AsUserAsync("dcalice", "submit", "--cc=1-3", "--datacrumbs-enable", "--datacrumbs-probe-file", name, "true");

        Assert.True(submit.ExitCode == 0, $"flux submit exited {submit.ExitCode}: {submit.Stderr}");
        var jobs = Lines(submit.Stdout);
        Assert.Equal(3, jobs.Length);
        Assert.Single(Lines(submit.Stderr), l => l.StartsWith("datacrumbs: ", StringComparison.Ordinal));
        foreach (var job in jobs) // every one carries the request (the node then answers each with its exception)
        {
            var jobspec = (await flux.AsUserAsync("dcalice", "job", "info", job, "jobspec")).EnsureSuccess("flux job info").Stdout;
            Assert.Contains(Path.Combine(flux.JobDir, name), jobspec);
            (await flux.AsUserAsync("dcalice", "job", "wait-event", "--timeout=100", job, "clean")).EnsureSuccess("flux job wait-event clean");
        }
    }
}

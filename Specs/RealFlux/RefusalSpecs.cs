using System.IO.Compression;
using System.Text;
using Datacrumbs.Messages.Unix;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.RealFlux;

/// <summary>
/// What a user can get wrong in a probes file that only the node's daemon can judge (the
/// signature, its owner, its age, its format): under policy continue the job runs untraced, and
/// the submitting terminal shows one line saying why: one job exception for the whole job, not
/// one per rank.
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
}

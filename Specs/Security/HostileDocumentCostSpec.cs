using System.Text;
using Xunit.Abstractions;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.Security;

/// <summary>
/// Issue 17, finding 1: what an unverified hostile document costs the root daemon. The checksum
/// covers json-c's re-serialization of the parsed document, so the daemon must parse before it can
/// compare: the bounds on the decompressed size, the number of JSON values, and the admissions at
/// once keep that cost small. 24 jobs of one user, each naming a small gzip that decompresses to
/// just under the decompressed limit of empty arrays (the cheapest JSON text per parsed value),
/// must leave the daemon's peak RSS within <see cref="BoundBytes"/> of its warm RSS, each fail
/// naming the limit, and another user's prolog, sent while they are admitted, go Ready.
/// </summary>
public sealed class HostileDocumentCostSpec(ITestOutputHelper output) : IAsyncLifetime
{
    private const int HostileJobs = 24;
    /// <summary>The stated bound (docs/reliability.rst): the peak RSS over the warm daemon's RSS.</summary>
    private const long BoundBytes = 160L * 1024 * 1024;
    /// <summary>The daemon's default Probes:MaxDecompressedBytes.</summary>
    private const int DecompressedLimit = 2 * 1024 * 1024;

    private DaemonProcess _daemon = null!;

    public async Task InitializeAsync() =>
        _daemon = await SignedDaemon.StartAsync(settings: new() { ["MaxConnectionsPerUser"] = 64 });

    public async Task DisposeAsync()
    {
        await _daemon.DisposeAsync();
        _daemon.DeleteWorkDir();
    }

    [Fact]
    public async Task Twenty_four_hostile_documents_stay_within_the_memory_bound_and_another_users_prolog_goes_ready()
    {
        var warm = new JobId(17700);
        Assert.Equal(Outcome.Ready, (await _daemon.SendAsync(WrapperRequests.Start(warm, TestUsers.Alice.Uid, _daemon.ProbeFile))).Outcome);
        Assert.Equal(Outcome.Stopped, (await _daemon.SendAsync(WrapperRequests.Stop(warm))).Outcome);
        var warmRss = Kilobytes("VmRSS") * 1024;

        var hostile = Path.Combine(_daemon.WorkDir, "hostile.json.gz");
        ProbeFixtures.WriteFile(hostile, HostileDocument(), 0b110_100_100);
        await ProbeFixtures.ChownAsync(hostile, "dcbob");
        var bobs = Enumerable.Range(1, HostileJobs).Select(i => new JobId(17700 + (ulong)i)).ToList();
        var attacks = bobs.Select(job => _daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Bob.Uid, hostile))).ToList();
        var alices = new JobId(17800);
        var alice = await _daemon.SendAsync(WrapperRequests.Start(alices, TestUsers.Alice.Uid, _daemon.ProbeFile));
        var replies = await Task.WhenAll(attacks);
        var peakRss = Kilobytes("VmHWM") * 1024;

        output.WriteLine($"warm RSS {warmRss >> 20} MiB, peak {peakRss >> 20} MiB (+{(peakRss - warmRss) >> 20} MiB) for {HostileJobs} hostile documents");
        Assert.True(alice.Outcome == Outcome.Ready, alice.Message);
        Assert.All(replies, reply =>
        {
            Assert.Equal(Outcome.Failed, reply.Outcome);
            Assert.Contains("more JSON values than the limit of", reply.Message);
        });
        Assert.True(peakRss - warmRss <= BoundBytes,
            $"the daemon's peak RSS {peakRss >> 20} MiB is {(peakRss - warmRss) >> 20} MiB over its warm {warmRss >> 20} MiB; the bound is {BoundBytes >> 20} MiB");
        foreach (var job in bobs.Append(alices)) Assert.Equal(Outcome.Stopped, (await _daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
    }

    /// <summary>{"summary":{},"categories":[[],[],...],...} with a checksum of zeros, just under the decompressed limit.</summary>
    private static byte[] HostileDocument()
    {
        const string head = """{"summary":{},"categories":[""";
        var tail = $$"""[]],"checksum_algorithm":"hmac-sha256","checksum":"{{new string('0', 64)}}"}""";
        var json = new StringBuilder(DecompressedLimit).Append(head);
        while (json.Length + 3 + tail.Length < DecompressedLimit) json.Append("[],");
        json.Append(tail);
        return ProbesFile.Compress(Encoding.ASCII.GetBytes(json.ToString()));
    }

    private long Kilobytes(string field)
    {
        var line = File.ReadLines($"/proc/{_daemon.Pid}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]);
    }
}

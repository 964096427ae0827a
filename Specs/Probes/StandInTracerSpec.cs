using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Probes.JsonC;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Probes.JsonC;
using Datacrumbs.Specs.Systemd;
using static Datacrumbs.Specs.Probes.ProbeFixtures;

namespace Datacrumbs.Specs.Probes;

/// <summary>
/// The stand-in tracer keeps the real runtime's contract (spec/datacrumbs-runtime.md §1.7, §3): its
/// command line, its checks of the probe document (a second, independent implementation of json-c's
/// payload, in Python), its messages and exit 1, its ready file, SIGINT finalizes, SIGTERM kills. So
/// where the daemon's specs see the stand-in accept a verified copy, the runtime would accept it too.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StandInTracerSpec : IDisposable
{
    private static readonly string Tracer = Path.Combine(AppContext.BaseDirectory, "datacrumbs-standin-tracer");
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDir _dir = NewDir();
    private readonly string _secretHex = NewSecretHex();
    private ProbeSecret Key => Secret(_secretHex);

    public StandInTracerSpec() => WriteSecretFile(_dir["secret"], _secretHex);

    public void Dispose() => _dir.Dispose();

    private string ReadyFile(string runId) => _dir[$"run/datacrumbs-{runId}.ready"];

    private Process Start(string probeFile, params string[] more) => StartUnder(Tracer, [probeFile, .. more]);

    private Process StartUnder(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["STANDIN_SECRET_FILE"] = _dir["secret"];
        psi.Environment["STANDIN_RUN_DIR"] = _dir["run"];
        return Process.Start(psi)!;
    }

    private async Task<(int Code, string Stderr)> RunToEndAsync(string probeFile, params string[] more)
    {
        using var p = Start(probeFile, more);
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(Patience);
        return (p.ExitCode, await stderr);
    }

    /// <summary>Starts it on a good file and returns once it says it is ready (its log line follows the write).</summary>
    private async Task<Process> StartReadyAsync(string runId)
    {
        File.WriteAllBytes(_dir["good.json.gz"], SignFor(AliceUid, "dcalice", Key));
        var p = Start(_dir["good.json.gz"], runId, "dcalice");
        while (await p.StandardError.ReadLineAsync().WaitAsync(Patience) is { } line)
            if (line.Contains("mode=ready")) return p;
        throw new InvalidOperationException($"the stand-in exited ({p.ExitCode}) before ready");
    }

    [Fact]
    public async Task It_needs_all_three_arguments_as_the_runtime_does()
    {
        File.WriteAllBytes(_dir["good.json.gz"], SignFor(AliceUid, "dcalice", Key));
        var (code, stderr) = await RunToEndAsync(_dir["good.json.gz"], "run1");
        Assert.Equal(1, code);
        Assert.Contains("usage: datacrumbs <signed-probes.json.gz> <run-id> <user>", stderr);
        Assert.False(File.Exists(ReadyFile("run1")));
    }

    [Fact]
    public async Task It_writes_ready_where_the_runtime_does_finalizes_on_SIGINT_and_dies_on_SIGTERM_leaving_a_stale_ready_file()
    {
        using (var p = await StartReadyAsync("int1"))
        {
            Assert.Equal("ready\n", await File.ReadAllTextAsync(ReadyFile("int1")));
            Assert.Equal(0, await Run.CommandAsync("kill", "-INT", p.Id.ToString()).ContinueWith(t => t.Result.ExitCode));
            await p.WaitForExitAsync().WaitAsync(Patience);
            Assert.Equal(0, p.ExitCode);
            Assert.False(File.Exists(ReadyFile("int1")));
        }
        using (var p = await StartReadyAsync("term1"))
        {
            Assert.Equal(0, await Run.CommandAsync("kill", "-TERM", p.Id.ToString()).ContinueWith(t => t.Result.ExitCode));
            await p.WaitForExitAsync().WaitAsync(Patience);
            Assert.Equal(128 + 15, p.ExitCode); // killed by the signal, as the runtime (no handler) would be
            Assert.True(File.Exists(ReadyFile("term1")), "SIGTERM leaves the ready file behind, as the runtime does");
        }
        // The next start of the same run id deletes the stale one first, and a bad file then leaves none.
        File.WriteAllText(_dir["bad.json"], "{}");
        Assert.Equal(1, (await RunToEndAsync(_dir["bad.json"], "term1", "dcalice")).Code);
        Assert.False(File.Exists(ReadyFile("term1")));
    }

    /// <summary>
    /// systemd sends the stop signal once, to every process of the unit. Whenever it comes (while
    /// the probes are verified, before the handler would have been set, as a child is forked), the
    /// stand-in ends and no child of it is left: else the unit hangs in "deactivating" until
    /// TimeoutStopSec (a fresh-machine CI run met exactly that, with a start at once followed by a stop).
    /// </summary>
    [Fact]
    public async Task A_SIGINT_to_its_process_group_at_any_moment_of_its_life_stops_it_and_every_child()
    {
        File.WriteAllBytes(_dir["good.json.gz"], SignFor(AliceUid, "dcalice", Key));
        for (var round = 0; round < 30; round++)
        {
            var runId = $"early{round}";
            // setsid: its own process group, as the unit's cgroup is its own. The sh in between says
            // when the group exists (a signal sent before setsid() ran would name no group), then
            // execs the tracer in place: the pid is the group's id and the tracer's.
            using var p = StartUnder("setsid", ["sh", "-c", "echo grouped >&2; exec \"$0\" \"$@\"", Tracer, _dir["good.json.gz"], runId, "dcalice"]);
            Assert.Equal("grouped", await p.StandardError.ReadLineAsync().WaitAsync(Patience));
            var stderr = p.StandardError.ReadToEndAsync();
            var moment = TimeSpan.FromMilliseconds(round * 12);   // the input: when in its life the signal comes
            await Task.Delay(moment);
            (await Run.CommandAsync("kill", "-INT", "--", $"-{p.Id}")).EnsureSuccess($"kill -INT the group {p.Id}");
            try { await p.WaitForExitAsync().WaitAsync(Patience); }
            catch (TimeoutException)
            {
                Assert.Fail($"signal after {moment.TotalMilliseconds} ms: the stand-in did not end within {Patience.TotalSeconds} s");
            }

            var left = (await Run.CommandAsync("pgrep", "-g", p.Id.ToString())).Stdout
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse);
            foreach (var pid in left)
            {
                try { await Processes.ExitOf(pid).WaitAsync(Patience); }
                catch (TimeoutException)
                {
                    Assert.Fail($"signal after {moment.TotalMilliseconds} ms: process {pid} of the stand-in outlived it: {await stderr}");
                }
            }
            Assert.False(File.Exists(ReadyFile(runId)), $"signal after {moment.TotalMilliseconds} ms left the ready file: {await stderr}");
        }
    }

    public static TheoryData<string, string> BadDocuments => new()
    {
        { "other-secret", "(probe file checksum verification failed)" },
        { "tampered", "(probe file checksum verification failed)" },
        { "no-summary", "(probe file is missing summary object)" },
        { "unsigned", "(probe file checksum is missing or its algorithm is not hmac-sha256)" },
        { "expired", "(probe file signature expired at " },
        { "not-json", "(failed to parse probe file)" },
        { "empty", "(failed to read probe file)" },
    };

    [Theory]
    [MemberData(nameof(BadDocuments))]
    public async Task A_bad_document_exits_1_with_the_runtimes_message_and_no_ready_file(string kind, string reason)
    {
        var good = ProbesFile.Decompress(SignFor(AliceUid, "dcalice", Key), ProbeFileLimits.Default);
        byte[] Edited(Action<JsonObject> edit)
        {
            var doc = JsonNode.Parse(good)!.AsObject();
            edit(doc);
            return Encoding.UTF8.GetBytes(doc.ToJsonString());
        }
        var bytes = kind switch
        {
            "other-secret" => SignFor(AliceUid, "dcalice", NewSecret()),
            "tampered" => Edited(d => d["summary"]!["uid"] = BobUid),
            "no-summary" => Edited(d => d.Remove("summary")),
            "unsigned" => Edited(d => d.Remove("checksum")),
            "expired" => SignFor(AliceUid, "dcalice", Key, DateTimeOffset.UtcNow.AddDays(-2), TimeSpan.FromDays(1)),
            "not-json" => "not json"u8.ToArray(),
            _ => [],
        };
        File.WriteAllBytes(_dir["probes"], bytes);
        var (code, stderr) = await RunToEndAsync(_dir["probes"], "bad1", "dcalice");
        Assert.Equal(1, code);
        Assert.Contains($"datacrumbs fatal exception: Failed to verify runtime probe file: {_dir["probes"]} {reason}", stderr);
        Assert.False(File.Exists(ReadyFile("bad1")));
    }

    /// <summary>Our signer's documents with arbitrary content (unicode, '/', control characters, doubles, nesting) verify in the stand-in's independent implementation.</summary>
    [Fact]
    public async Task Any_document_our_signer_writes_verifies_in_the_stand_in()
    {
        await Gen.Select(JsonDocuments.Object(2), JsonDocuments.Array(3)).SampleAsync(async (summaryText, categoriesText) =>
        {
            JsonCObject summary;
            JsonCArray categories;
            try
            {
                summary = (JsonCObject)JsonCReader.Parse(Encoding.UTF8.GetBytes(summaryText));
                categories = (JsonCArray)JsonCReader.Parse(Encoding.UTF8.GetBytes(categoriesText));
            }
            catch (FormatException) { return; } // what we refuse to read is never signed
            foreach (var reserved in ProbesDocument.ReservedSummaryMembers)
                if (summary[reserved] is not null) return;
            var (_, file) = ProbesDocument.Sign(categories, summary, AliceUid, "dcalice", DateTimeOffset.UtcNow, TimeSpan.FromHours(1), Key);
            var path = _dir[$"gen-{Guid.NewGuid():N}.json.gz"];
            File.WriteAllBytes(path, file);
            using var p = Start(path, "gen", "dcalice");
            var stderr = p.StandardError.ReadLineAsync();
            var line = await stderr.WaitAsync(Patience);
            Assert.True(line?.Contains("mode=ready") == true, $"the stand-in refused {summaryText} / {categoriesText}: {line}");
            p.Kill();
            await p.WaitForExitAsync().WaitAsync(Patience);
        }, iter: 40, threads: 1);
    }

    [Fact]
    public async Task The_daemons_verified_copy_is_what_the_runtime_accepts()
    {
        // Signed admission on: the daemon verifies the user's file, writes its copy, and the stand-in verifies that copy again.
        var workDir = Directory.CreateTempSubdirectory("datacrumbs-spec-").FullName;
        await using var daemon = await DaemonProcess.StartAsync(workDir, new()
        {
            ["Probes"] = new Dictionary<string, object> { ["RequireSignature"] = true, ["SecretFile"] = Path.Combine(workDir, "probe-secret") },
        });
        var job = new JobId(7101);
        var reply = await daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, daemon.ProbeFile));
        Assert.True(reply.Outcome == Outcome.Ready, reply.Message);
        var env = await File.ReadAllTextAsync(Path.Combine(daemon.RunDir, JobNames.EnvFile(job)));
        Assert.Contains($"DATACRUMBS_SERVICE_RUN_ID=\"{job}\"\n", env);
        Assert.Equal("ready\n", await File.ReadAllTextAsync(Path.Combine(daemon.RunDir, JobNames.ReadyFile(job))));
        Assert.Equal(Outcome.Stopped, (await daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
        Assert.Empty(daemon.Leftovers());
    }
}

using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Flux;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Reliability;

/// <summary>One real daemon for all hostile-input cases: a stand-in flux for jobspecs, small limits.</summary>
public sealed class HostileDaemon : IAsyncLifetime
{
    public DaemonProcess Daemon { get; private set; } = null!;
    public StandInFlux Flux { get; private set; } = null!;
    public string Probes { get; private set; } = null!;
    public const int MaxProbeBytes = 4096;
    /// <summary>A FIFO named as the probe file meets this, well before Resolve's 60 s.</summary>
    public const int ReadTimeoutSeconds = 2;

    public async Task InitializeAsync()
    {
        Flux = await StandInFlux.CreateAsync("answer", "{}");
        Daemon = await DaemonProcess.StartAsync(settings: new()
        {
            ["FluxCommand"] = Flux.Command,
            ["MaxConnections"] = 4096,
            ["RequestReadSeconds"] = 2, // the trickling client meets it within the spec
            // The probe file is read as the job's user (a process of its own): Resolve leaves room for that under load.
            ["Timeouts"] = new Dictionary<string, double> { ["Resolve"] = 60, ["Ready"] = 30, ["Stop"] = 20 },
            ["Probes"] = new Dictionary<string, object> { ["RequireSignature"] = false, ["MaxFileBytes"] = MaxProbeBytes, ["ReadTimeoutSeconds"] = ReadTimeoutSeconds },
        });
        Probes = Path.Combine(Daemon.WorkDir, "probes.json.gz");
        await File.WriteAllBytesAsync(Probes, DaemonProcess.ValidProbes);
    }

    public async Task DisposeAsync()
    {
        await Daemon.DisposeAsync();
        Daemon.DeleteWorkDir();
        Flux.Dispose();
    }
}

/// <summary>
/// Hostile input over the real control socket: malformed frames, malformed and wrong-shaped JSON,
/// bad job ids, users, URIs, probe paths and files, jobspecs, slow and vanishing clients, thousands
/// of idle connections. Each case gets one reply naming the problem, and the daemon keeps serving.
/// </summary>
public sealed class HostileInputSpec(HostileDaemon fixture) : IClassFixture<HostileDaemon>
{
    private DaemonProcess Daemon => fixture.Daemon;

    /// <summary>After each case: the daemon still answers a normal request.</summary>
    private async Task StillServingAsync()
    {
        var status = await Daemon.SendAsync(new ControlRequest { Op = Operation.Status });
        Assert.Equal(ReplyStatus.Ok, status.Status);
    }

    private static byte[] Bytes(params byte[] bytes) => bytes;

    public static TheoryData<string, byte[], string> BadFrames => new()
    {
        { "text instead of a frame", Encoding.ASCII.GetBytes("hello daemon\n"), "exceeds the limit of 65536 bytes" },
        { "largest length header", RawClient.Header(int.MaxValue), "frame of 2147483647 bytes exceeds the limit of 65536 bytes" },
        { "one byte over the limit", RawClient.Header(65537), "frame of 65537 bytes exceeds the limit" },
        { "zero length", RawClient.Header(0), "invalid frame length 0" },
        { "negative length", RawClient.Header(-1), "invalid frame length -1" },
        { "most negative length", RawClient.Header(int.MinValue), "invalid frame length -2147483648" },
        { "truncated header", Bytes(0, 0), "truncated frame header (2 of 4 bytes)" },
        { "truncated body", [.. RawClient.Header(100), .. new byte[10]], "truncated frame (10 of 100 bytes)" },
        { "nothing at all", [], "connection closed before a request was sent" },
        { "not JSON", RawClient.Frame("{{{"), "is not a valid ControlRequest" },
        { "JSON null", RawClient.Frame("null"), "frame holds JSON null" },
        { "JSON array", RawClient.Frame("[1,2]"), "is not a valid ControlRequest" },
        { "JSON string", RawClient.Frame("\"status\""), "is not a valid ControlRequest" },
        { "empty object", RawClient.Frame("{}"), "missing required properties including: 'op'" },
        { "unknown operation name", RawClient.Frame("""{"op":"Explode"}"""), "Path: $.op" },
        { "operation number out of range", RawClient.Frame("""{"op":7}"""), "unknown operation 7" },
        { "negative operation number", RawClient.Frame("""{"op":-1}"""), "unknown operation -1" },
        { "operation number beyond int", RawClient.Frame("""{"op":1099511627776}"""), "Path: $.op" },
        { "operation as a boolean", RawClient.Frame("""{"op":true}"""), "Path: $.op" },
        { "unknown member", RawClient.Frame("""{"op":"Status","evil":1}"""), "'evil'" },
        { "job as a number", RawClient.Frame("""{"op":"Epilog","job":1234}"""), "Path: $.job" },
        { "negative uid", RawClient.Frame("""{"op":"Prolog","job":"1","uid":-1}"""), "Path: $.uid" },
        { "uid beyond 32 bits", RawClient.Frame("""{"op":"Prolog","job":"1","uid":4294967296}"""), "Path: $.uid" },
        { "uid as text", RawClient.Frame("""{"op":"Prolog","job":"1","uid":"0"}"""), "Path: $.uid" },
        { "data after the object", RawClient.Frame("""{"op":"Status"} {"op":"Status"}"""), "is not a valid ControlRequest" },
        { "invalid UTF-8", RawClient.Frame([.. "{\"op\":\"Epilog\",\"job\":\""u8.ToArray(), 0xff, 0xfe, .. "\"}"u8.ToArray()]), "is not a valid ControlRequest" },
        { "lone surrogate", RawClient.Frame("""{"op":"Epilog","job":"\ud800"}"""), "is not a valid ControlRequest" },
        { "nesting too deep", RawClient.Frame("""{"op":"Status","metadata":""" + new string('[', 200) + new string(']', 200) + "}"), "is not a valid ControlRequest" },
        { "metadata of the wrong shape", RawClient.Frame("""{"op":"Prolog","job":"1","uid":4242,"metadata":"yes"}"""), "Path: $.metadata" },
        { "metadata without probe_file", RawClient.Frame("""{"op":"Prolog","job":"1","uid":4242,"metadata":{"enable":"yes"}}"""), "'probe_file'" },
        { "metadata with null probe_file", RawClient.Frame("""{"op":"Prolog","job":"1","uid":4242,"metadata":{"enable":"yes","probe_file":null}}"""), "null" },
        { "metadata with null enable", RawClient.Frame("""{"op":"Prolog","job":"1","uid":4242,"metadata":{"enable":null,"probe_file":"/p"}}"""), "null" },
    };

    [Theory]
    [MemberData(nameof(BadFrames))]
    public async Task A_bad_frame_gets_one_reply_naming_the_problem(string what, byte[] bytes, string expected)
    {
        var reply = await RawClient.ExchangeAsync(Daemon.Socket, bytes);

        Assert.True(reply is not null, $"{what}: no reply");
        Assert.Equal(ReplyStatus.BadRequest, reply.Status);
        Assert.Contains(expected, reply.Message);
        Assert.DoesNotContain('\n', reply.Message);
        await StillServingAsync();
    }

    public static TheoryData<string, string?, string> BadJobIds => new()
    {
        { "absent", null, "job id is empty" },
        { "empty", "", "job id is empty" },
        { "letters", "abc", "'abc' is not a job id" },
        { "negative", "-1", "'-1' is not a job id" },
        { "beyond 64 bits", "18446744073709551616", "is not a job id" },
        { "f58 prefix alone", "ƒ", "is not a job id" },
        { "forbidden f58 digit", "f0OIl", "is not a job id" },
        { "hex too long", "0x10000000000000000", "is not a job id" },
        { "surrounding space", " 1234", "is not a job id" },
        { "newline inside", "12\n34", "'12\\x0a34' is not a job id" },
        { "NUL inside", "12\u000034", "'12\\x0034' is not a job id" },
        { "very long", new string('1', 20_000), "job id is too long (20000 characters)" },
    };

    [Theory]
    [MemberData(nameof(BadJobIds))]
    public async Task A_bad_job_id_is_refused_with_the_id_shown_safely(string what, string? job, string expected)
    {
        foreach (var op in new[] { Operation.Prolog, Operation.Epilog })
        {
            var reply = await Daemon.SendAsync(new ControlRequest { Op = op, Job = job, Uid = TestUsers.Alice.Uid, Metadata = new TracingRequest("yes", fixture.Probes) });
            Assert.Equal(ReplyStatus.BadRequest, reply.Status);
            Assert.Contains(expected, reply.Message);
            Assert.True(reply.Message.Length < 1000, $"{what}: the message echoes too much ({reply.Message.Length} characters)");
            Assert.DoesNotContain(reply.Message, c => char.IsControl(c));
        }
        await StillServingAsync();
    }

    [Fact]
    public async Task A_prolog_without_the_jobs_user_is_refused()
    {
        var reply = await Daemon.SendAsync(new ControlRequest { Op = Operation.Prolog, Job = "6101" });
        Assert.Equal(ReplyStatus.BadRequest, reply.Status);
        Assert.Contains("a prolog must name the job's user", reply.Message);
        await StillServingAsync();
    }

    [Theory]
    [InlineData("local:///run/flux/local\nFLUX_EVIL=1")]
    [InlineData("local:///run/flux/\u001b[2Jlocal")]
    [InlineData("local:///")]
    public async Task A_FLUX_URI_with_control_characters_or_of_absurd_length_is_refused(string uri)
    {
        if (uri == "local:///") uri += new string('x', 5000);
        var reply = await Daemon.SendAsync(new ControlRequest { Op = Operation.Prolog, Job = "6102", Uid = TestUsers.Alice.Uid, FluxUri = uri });
        Assert.Equal(ReplyStatus.BadRequest, reply.Status);
        Assert.Contains("is not a usable URI", reply.Message);
        Assert.DoesNotContain(reply.Message, c => char.IsControl(c));
        await StillServingAsync();
    }

    public static TheoryData<ulong, string, string> BadProbePaths => new()
    {
        { 6201, "probes.json.gz", "is not an absolute path" },
        { 6202, "", "is empty" },
        { 6203, "/tmp/probes\nDATACRUMBS_EVIL=1", "contains a control character (\\x0a)" },
        { 6204, "/tmp/probes\0.json.gz", "contains a control character (\\x00)" },
        { 6205, "/tmp/\u001b[2Jprobes", "contains a control character (\\x1b)" },
        { 6206, "/" + new string('p', 5000), "is longer than 4095 bytes" },
        // Read as the job's user: the reasons are what that user would be told.
        { 6207, "/nonexistent/probes.json.gz", "dcalice (uid {uid:dcalice}) cannot read it: No such file or directory" },
        { 6208, "/tmp", "cannot read it: Is a directory" },
        { 6209, "/dev/zero", "file is larger than the limit of 4 KiB" },
    };

    [Theory]
    [MemberData(nameof(BadProbePaths))]
    public async Task A_bad_probe_path_fails_the_prolog_with_the_reason_and_leaves_nothing(ulong id, string path, string expected)
    {
        var job = new JobId(id);
        var reply = await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, path));

        Assert.Equal(ReplyStatus.Ok, reply.Status);
        Assert.Equal(Outcome.Failed, reply.Outcome);
        Assert.Equal(LifecycleState.Resolving, reply.State);
        Assert.Contains(TestUsers.Expand(expected), reply.Message);
        Assert.DoesNotContain(reply.Message, c => char.IsControl(c));
        Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
        Assert.DoesNotContain(Daemon.Leftovers(), f => f.Contains(job.ToString()));
    }

    [Fact]
    public async Task A_probe_file_that_is_a_FIFO_fails_the_prolog_instead_of_hanging()
    {
        var fifo = Path.Combine(Daemon.WorkDir, "probes.fifo");
        (await Run.CommandAsync("mkfifo", fifo)).EnsureSuccess("mkfifo");
        var job = new JobId(6301);

        var reply = await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, fifo));

        Assert.Equal(Outcome.Failed, reply.Outcome);
        Assert.Contains($"did not finish within {HostileDaemon.ReadTimeoutSeconds} s (a FIFO, or a hung file system?)", reply.Message);
        Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
    }

    [Fact]
    public async Task A_probe_file_over_the_size_limit_is_refused()
    {
        var big = Path.Combine(Daemon.WorkDir, "big.json.gz");
        await File.WriteAllBytesAsync(big, new byte[HostileDaemon.MaxProbeBytes + 1]);
        var job = new JobId(6302);

        var reply = await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, big));

        Assert.Equal(Outcome.Failed, reply.Outcome);
        Assert.Contains("file is larger than the limit of 4 KiB", reply.Message);
        Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
    }

    [Theory]
    [InlineData("no")]
    [InlineData("YES")]
    [InlineData("yes ")]
    [InlineData("")]
    public async Task Enable_other_than_yes_means_not_requested(string enable)
    {
        var reply = await Daemon.SendAsync(new ControlRequest
        {
            Op = Operation.Prolog, Job = "6303", Uid = TestUsers.Alice.Uid, Metadata = new TracingRequest(enable, fixture.Probes),
        });
        Assert.Equal(Outcome.NotRequested, reply.Outcome);
        Assert.Empty(Daemon.Leftovers());
        await Daemon.SendAsync(WrapperRequests.Stop(JobId.Parse("6303")));
    }

    [Fact]
    public async Task A_probe_path_full_of_shell_and_systemd_syntax_reaches_no_env_file()
    {
        var dir = Path.Combine(Daemon.WorkDir, "$(touch pwned)`id`${HOME}%n\"'\\");
        Directory.CreateDirectory(dir);
        var probes = Path.Combine(dir, "probes.json.gz");
        await File.WriteAllBytesAsync(probes, DaemonProcess.ValidProbes);
        var job = new JobId(6304);

        var reply = await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, probes));

        Assert.Equal(Outcome.Ready, reply.Outcome); // the tracer gets the daemon's copy, at a path the daemon chose
        var env = await File.ReadAllTextAsync(Path.Combine(Daemon.RunDir, JobNames.EnvFile(job)));
        Assert.DoesNotContain("$", env);
        Assert.DoesNotContain("`", env);
        Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
        Assert.False(File.Exists(Path.Combine(Daemon.WorkDir, "pwned")));
    }

    public static TheoryData<ulong, string, string?> Jobspecs => new()
    {
        { 6401, "{\"attributes\":", "the jobspec is not valid JSON" },
        { 6402, "[]", "the jobspec is not a JSON object" },
        { 6403, """{"attributes":"x"}""", "attributes is a string, not an object" },
        { 6404, """{"attributes":{"system":{"datacrumbs":"yes"}}}""", "attributes.system.datacrumbs is a string, not an object" },
        { 6405, """{"attributes":{"system":{"datacrumbs":{"enable":"yes"}}}}""", "has enable \"yes\" but no probe_file" },
        { 6406, """{"attributes":{"system":{"datacrumbs":{"enable":"yes","probe_file":7}}}}""", "probe_file is a number, not a string" },
        { 6407, """{"attributes":{"system":{"datacrumbs":{"enable":"yes","probe_file":"p.json"}}}}""", "probe_file is not an absolute path" },
        { 6408, """{"attributes":{"system":{"datacrumbs":{"enable":"yes","probe_file":"/p\nX=1"}}}}""", "contains a control character (\\x0a)" },
        { 6409, """{"attributes":{"system":{"datacrumbs":{"enable":"yes","probe_file":"/a","probe_file":"/b"}}}}""", "has the key 'probe_file' twice" },
        { 6410, """{"attributes":{"system":{}}}""", null },
        { 6411, """{"attributes":{"system":{"datacrumbs":{"enable":"\ud800","probe_file":"/p"}}}}""", "not valid Unicode" },
    };

    [Theory]
    [MemberData(nameof(Jobspecs))]
    public async Task A_hostile_jobspec_fails_the_prolog_with_the_reason(ulong id, string jobspec, string? expected)
    {
        var job = new JobId(id);
        await File.WriteAllTextAsync(Path.Combine(fixture.Flux.Dir, "jobspec.json"), jobspec);

        var reply = await Daemon.SendAsync(new ControlRequest { Op = Operation.Prolog, Job = job.ToString(), Uid = TestUsers.Alice.Uid, FluxUri = "local:///run/flux/local" });

        Assert.Equal(ReplyStatus.Ok, reply.Status);
        if (expected is null) Assert.Equal(Outcome.NotRequested, reply.Outcome);
        else
        {
            Assert.Equal(Outcome.Failed, reply.Outcome);
            Assert.Contains(expected, reply.Message);
        }
        // A job that did not ask stays NotRequested at its epilog too (silent in flux dmesg).
        Assert.Equal(expected is null ? Outcome.NotRequested : Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
    }

    [Fact]
    public async Task A_client_trickling_bytes_is_cut_off_at_the_request_deadline_while_others_are_served()
    {
        using var slow = await RawClient.ConnectAsync(Daemon.Socket);
        await using var stream = new NetworkStream(slow, ownsSocket: false);
        var frame = Frames.Encode(new ControlRequest { Op = Operation.Status }, WireJson.Default.ControlRequest);

        // One byte at a time, each after another client was served in between: trickling never
        // extends the deadline, and the last byte never comes.
        try
        {
            foreach (var b in frame[..^1])
            {
                await stream.WriteAsync(new[] { b });
                await StillServingAsync();
            }
        }
        catch (IOException) { } // on a slow machine the deadline can cut the trickle short: the reply is waiting

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var reply = await RawClient.ReadReplyAsync(stream, deadline.Token);
        Assert.Equal(ReplyStatus.BadRequest, reply!.Status);
        Assert.Contains("no complete request within 2 s", reply.Message);
    }

    [Fact]
    public async Task Two_thousand_idle_connections_do_not_stop_a_real_prolog_and_each_gets_its_answer()
    {
        const int Idle = 2000;
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < Idle; i++)
            {
                sockets.Add(await RawClient.ConnectAsync(Daemon.Socket));
                // The daemon accepts in order: a served request proves the batch before it left the listen backlog.
                if (i % 256 == 255) await StillServingAsync();
            }
            var job = new JobId(6501);

            var prolog = await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, fixture.Probes));
            Assert.Equal(Outcome.Ready, prolog.Outcome);

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var replies = await Task.WhenAll(sockets.Select(async s =>
            {
                await using var stream = new NetworkStream(s, ownsSocket: false);
                return await RawClient.ReadReplyAsync(stream, deadline.Token);
            }));
            Assert.All(replies, r => Assert.Contains("no complete request within", r!.Message));
            Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }

    [Fact]
    public async Task A_client_that_goes_away_before_its_reply_loses_nothing()
    {
        var job = new JobId(6502);
        var start = Frames.Encode(WrapperRequests.Start(job, TestUsers.Alice.Uid, fixture.Probes), WireJson.Default.ControlRequest);
        using (var gone = await RawClient.ConnectAsync(Daemon.Socket)) await gone.SendAsync(start); // and closed at once

        // The prolog went on without its client: a duplicate gets the same answer, the epilog cleans up.
        Assert.Equal(Outcome.Ready, (await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, fixture.Probes))).Outcome);

        using (var halfway = await RawClient.ConnectAsync(Daemon.Socket))
        {
            await halfway.SendAsync(Frames.Encode(new ControlRequest { Op = Operation.Status }, WireJson.Default.ControlRequest));
            var first = new byte[1];
            Assert.Equal(1, await halfway.ReceiveAsync(first)); // a byte of the reply, then gone
        }
        Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
        Assert.DoesNotContain(Daemon.Leftovers(), f => f.Contains(job.ToString()));
        await StillServingAsync();
    }
}

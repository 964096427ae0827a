using System.Globalization;
using System.Text;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Probes.JsonC;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Probes;
using static Datacrumbs.Specs.Security.UpstreamManagerClient;

namespace Datacrumbs.Specs.Security;

/// <summary>
/// Issue 19: the signer answers upstream's configurator as upstream's probe manager does (JSON-RPC
/// sign_probe_payload over TCP, half-close framing, the caller named by a munge credential over
/// sha256(payload)), with our site policy. A real munged of the spec's own, the real signer on a
/// loopback port the system chose, credentials made by the real munge program as dcalice and dcbob,
/// and the request bytes upstream's client sends.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SignerJsonRpcSpec(JsonRpcSignerFixture site) : IClassFixture<JsonRpcSignerFixture>
{
    private static readonly string Cli = Path.Combine(SignerFixture.BinaryDir, "datacrumbsctl.dll");

    /// <summary>The wire's error codes, written out here so that a change of the signer's is a failing spec.</summary>
    private static class JsonRpcCodes
    {
        public const int ParseError = -32700, InvalidRequest = -32600, MethodNotFound = -32601, InvalidParams = -32602, RefusedByPolicy = -32001;
    }

    [Fact]
    public async Task A_document_signed_over_tcp_verifies_exactly_as_one_from_the_unix_socket()
    {
        var (payload, request) = await site.SignedRequestAsync("dcalice");

        var reply = await ExchangeAsync(site.Tcp, request);

        Assert.True(reply.Document is not null, reply.Text);
        Assert.Equal("1", reply.Id.GetString());
        var overTcp = Encoding.UTF8.GetBytes(reply.Document!);
        var tcp = ProbesDocument.Verify(overTcp, site.Secret, ProbeFileLimits.Default, DateTimeOffset.UtcNow, TestUsers.Alice.Uid);
        Assert.Equal((TestUsers.Alice.Uid, "dcalice", "2"), (tcp.Binding.Uid, tcp.Binding.User, tcp.Binding.SchemaVersion));

        // The same payload from the Unix socket, by dcalice's own client: the same document but for its times.
        var overUnix = await SignOverUnixSocketAsync("dcalice", payload);
        var unix = ProbesDocument.Verify(overUnix, site.Secret, ProbeFileLimits.Default, DateTimeOffset.UtcNow, TestUsers.Alice.Uid);
        Assert.Equal(WithoutTimes(unix.Document), WithoutTimes(tcp.Document));

        // As upstream's configurator keeps it (gzip), the admin's check accepts it for dcalice only.
        var file = site.Dir["from-tcp.json.gz"];
        File.WriteAllBytes(file, ProbesFile.Compress(overTcp));
        var verify = await Run.CommandAsync("dotnet", [Cli, "probes", "verify", file, "--secret-file", site.SecretFile, "--uid", TestUsers.Alice.Uid.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(verify.ExitCode == 0, verify.Stderr + verify.Stdout);
        var wrongUser = await Run.CommandAsync("dotnet", [Cli, "probes", "verify", file, "--secret-file", site.SecretFile, "--uid", TestUsers.Bob.Uid.ToString(CultureInfo.InvariantCulture)]);
        Assert.Equal(1, wrongUser.ExitCode);
    }

    [Theory]
    [InlineData("dcalice")]
    [InlineData("dcbob")]
    public async Task A_credential_is_signed_for_the_user_munge_vouches_for_whoever_sends_it(string user)
    {
        var who = TestUsers.Lookup(user);
        var (_, request) = await site.SignedRequestAsync(user);

        var reply = await ExchangeAsync(site.Tcp, request); // sent by root, this process: munge's uid counts

        Assert.True(reply.Document is not null, reply.Text);
        var verified = ProbesDocument.Verify(Encoding.UTF8.GetBytes(reply.Document!), site.Secret, ProbeFileLimits.Default, DateTimeOffset.UtcNow, who.Uid);
        Assert.Equal((who.Uid, user), (verified.Binding.Uid, verified.Binding.User));
        Assert.Contains($"signed 2 probes (6 functions) for uid {who.Uid} ({user}) by munge credential from tcp 127.0.0.1:", site.Signer.Output);
    }

    [Theory]
    [InlineData("uid")]
    [InlineData("user")]
    public async Task A_request_cannot_name_the_user_it_is_signed_for(string member)
    {
        var claim = member == "uid" ? $$"""{"uid":{{TestUsers.Alice.Uid}}}""" : """{"user":"dcalice"}""";
        var (_, request) = await site.SignedRequestAsync("dcbob", extraSummaryMember: claim);

        var reply = await ExchangeAsync(site.Tcp, request);

        Assert.Equal(JsonRpcCodes.InvalidParams, reply.Code);
        Assert.Equal($"summary.{member} is set by the signer, not by the request", reply.Message);
    }

    [Fact]
    public async Task The_site_policy_refuses_with_the_rule_that_applies()
    {
        var (_, request) = await site.SignedRequestAsync("dcalice", """[{"type":1,"name":"k","functions":["vfs_read"]}]""");

        var reply = await ExchangeAsync(site.Tcp, request);

        Assert.Equal(JsonRpcCodes.RefusedByPolicy, reply.Code);
        Assert.Equal("probe 0 (k): type 1 is not allowed here (allowed: 0, 2)", reply.Message);
    }

    public static TheoryData<string> BadCredentials => ["garbage", "another cluster's key", "replayed", "made for another payload", "missing"];

    [Theory]
    [MemberData(nameof(BadCredentials))]
    public async Task A_bad_credential_is_refused_with_munges_reason_and_the_signer_keeps_serving(string kind)
    {
        var payload = SigningPayload(ProbeFixtures.SampleProbes);
        var digest = Digest(payload);
        string? credential;
        switch (kind)
        {
            case "garbage": credential = "MUNGE:AwQFAACnotacredential=:"; break;
            case "another cluster's key":
                using (var otherCluster = await MungedUnderTest.StartAsync())
                    credential = await otherCluster.CredentialAsync("dcalice", digest);
                break;
            case "replayed":
                credential = await site.Munged.CredentialAsync("dcalice", digest);
                Assert.NotNull((await ExchangeAsync(site.Tcp, Request(payload, credential))).Document);
                break;
            case "made for another payload":
                credential = await site.Munged.CredentialAsync("dcalice", Digest(SigningPayload("""[{"type":0,"name":"sys","functions":["read"]}]""")));
                break;
            default: credential = null; break;
        }

        var reply = await ExchangeAsync(site.Tcp, Request(payload, credential));

        Assert.True(reply.Code == JsonRpcCodes.InvalidRequest, reply.Text);
        Assert.Null(reply.Document);
        var expected = kind switch
        {
            "garbage" => "munge credential rejected: Failed to base64-decode",
            "another cluster's key" => "munge credential rejected: Invalid credential",
            "replayed" => "munge credential rejected: Replayed credential (each credential is good for one request: make a new one",
            "made for another payload" => "the munge credential is not bound to this request: its payload must be the SHA-256 of params.signing_payload",
            _ => "the request has no munge credential",
        };
        Assert.StartsWith(expected, reply.Message);
        if (kind is "garbage" or "another cluster's key") Assert.EndsWith("(not a valid credential of this cluster's munge key: made on a host with another key, or damaged)", reply.Message);
        Assert.Contains($"refused tcp 127.0.0.1:", site.Signer.Output);
        await AssertStillSignsAsync(site.Tcp);
    }

    /// <summary>Requests upstream's client never sends: each gets one JSON-RPC error naming the problem.</summary>
    public static TheoryData<string, string, int, string> Malformed => new()
    {
        { "not JSON", "{\"jsonrpc\":\"2.0\",", JsonRpcCodes.ParseError, "the request is not JSON (" },
        { "not an object", "[1,2]", JsonRpcCodes.InvalidRequest, "the request must be a JSON-RPC 2.0 request object" },
        { "JSON-RPC 1", """{"jsonrpc":"1.0","id":7,"method":"sign_probe_payload","params":{}}""", JsonRpcCodes.InvalidRequest, "the request must be JSON-RPC 2.0" },
        { "another method", """{"jsonrpc":"2.0","id":7,"method":"sign","params":{}}""", JsonRpcCodes.MethodNotFound, "method 'sign' is not served here; this signer answers sign_probe_payload only" },
        { "upstream's state report", """{"jsonrpc":"2.0","id":7,"method":"report_runtime_probe_state","params":{}}""", JsonRpcCodes.MethodNotFound, "report_runtime_probe_state is not served here" },
        { "no params", """{"jsonrpc":"2.0","id":7,"method":"sign_probe_payload"}""", JsonRpcCodes.InvalidParams, "the request has no \"params\" object" },
        { "payload not a string", """{"jsonrpc":"2.0","id":7,"method":"sign_probe_payload","credential":"MUNGE:x:","params":{"signing_payload":{"categories":[]}}}""", JsonRpcCodes.InvalidParams, "params.signing_payload must be a string" },
        { "nothing", "", JsonRpcCodes.InvalidRequest, "the connection was shut down before a request" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_malformed_request_gets_a_json_rpc_error_and_the_signer_keeps_serving(string what, string request, int code, string message)
    {
        var reply = await ExchangeAsync(site.Tcp, Encoding.UTF8.GetBytes(request));

        Assert.True(reply.Code == code, $"{what}: {reply.Text}");
        Assert.StartsWith(message, reply.Message);
        await AssertStillSignsAsync(site.Tcp);
    }

    [Theory]
    [InlineData("{\"categories\":[]", "params.signing_payload is not JSON (")]
    [InlineData("""{"summary":{},"categories":[],"checksum_algorithm":"hmac-sha256","checksum":"00"}""", "signing_payload.checksum is not a member of a signing payload")]
    [InlineData("""{"summary":{},"categories":[],"checksum_algorithm":"sha1"}""", "signing_payload.checksum_algorithm must be \"hmac-sha256\"")]
    [InlineData("""{"categories":[],"checksum_algorithm":"hmac-sha256"}""", "signing_payload has no summary object")]
    public async Task A_payload_that_is_not_a_signing_payload_is_refused_after_the_credential_is_checked(string payload, string message)
    {
        var credential = await site.Munged.CredentialAsync("dcalice", Digest(payload));

        var reply = await ExchangeAsync(site.Tcp, Request(payload, credential));

        Assert.True(reply.Code == JsonRpcCodes.InvalidParams, reply.Text);
        Assert.StartsWith(message, reply.Message);
        Assert.Contains($"refused uid {TestUsers.Alice.Uid} (dcalice) by munge credential from tcp 127.0.0.1:", site.Signer.Output);
    }

    [Fact]
    public async Task An_oversized_request_is_refused_and_the_signer_keeps_serving()
    {
        // max_document_bytes 65536 in the test site: at most 6 * 64 KiB + 64 KiB of request are read.
        var request = Encoding.ASCII.GetBytes("{\"jsonrpc\":\"2.0\",\"pad\":\"" + new string('x', 600 * 1024) + "\"}");

        var reply = await ExchangeAsync(site.Tcp, request);

        Assert.True(reply.Code == JsonRpcCodes.InvalidRequest, reply.Text);
        Assert.StartsWith("the request is larger than 458752 bytes, the most this signer reads", reply.Message);
        await AssertStillSignsAsync(site.Tcp);
    }

    [Fact]
    public async Task A_client_that_never_finishes_its_request_is_answered_at_the_client_timeout_and_the_signer_keeps_serving()
    {
        using var quick = await site.StartSignerAsync("quick.json", site.Dir["sock/quick.sock"], clientTimeoutSeconds: 2);
        var tcp = quick.TcpEndPoint!;

        var reply = await ExchangeAsync(tcp, Encoding.ASCII.GetBytes("{\"jsonrpc\":\"2.0\","), halfClose: false);

        Assert.True(reply.Code == JsonRpcCodes.InvalidRequest, reply.Text);
        Assert.StartsWith("no complete request within 2 s (17 bytes came): send the whole request, then shut down the sending side", reply.Message);
        await AssertStillSignsAsync(tcp);
    }

    /// <summary>One user's requests share their slots across both sockets: dcbob's idle Unix connections leave his TCP request busy.</summary>
    [Fact]
    public async Task A_users_slots_are_the_same_on_both_sockets()
    {
        // A signer of its own: the held slots must not make the other specs of the class busy.
        using var signer = await site.StartSignerAsync("slots.json", site.Dir["sock/slots.sock"], clientTimeoutSeconds: 300);
        var (_, request) = await site.SignedRequestAsync("dcbob");
        using var hoarder = await IdleConnections.HoldAsync(site.Dir["sock/slots.sock"], "dcbob", 4); // max_clients_per_user (default 4)
        try
        {
            // The signer takes a connection's slot before it accepts the next one: once a later
            // connection is told "busy", all four of bob's are held (his connect() returned earlier).
            var barrier = await UnixReplyWithoutRequestAsync(site.Dir["sock/slots.sock"]);
            Assert.True(barrier is { Status: SignStatus.Unavailable }, barrier?.Message);

            var reply = await ExchangeAsync(signer.TcpEndPoint!, request);

            Assert.True(reply.Code == -32000, reply.Text);
            Assert.Equal($"the signer is busy: uid {TestUsers.Bob.Uid} has 4 requests open, the most one user may have; try again in a moment", reply.Message);
        }
        finally
        {
            hoarder.Kill();
        }
    }

    [Fact]
    public async Task A_taken_port_stops_the_signer_at_start_naming_it()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        File.WriteAllText(site.Dir["taken.json"], SignerFixture.Config(site.Dir["sock/taken.sock"], site.SecretFile, 30, $"\"tcp_listen\": \"127.0.0.1:{port}\","));

        var result = await Run.CommandAsync("dotnet", [Path.Combine(SignerFixture.BinaryDir, "datacrumbs_sign_probes.dll"), "--config", site.Dir["taken.json"]], TimeSpan.FromSeconds(120));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"datacrumbs_sign_probes: cannot start: cannot listen on tcp 127.0.0.1:{port} (tcp_listen): Address already in use", result.Stderr.Trim());
    }

    private static async Task<SignReply?> UnixReplyWithoutRequestAsync(string path)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        await using var stream = new System.Net.Sockets.NetworkStream(socket);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await Messages.Wire.Frames.ReadAsync(stream, SignerJson.Default.SignReply, Messages.Wire.Frames.DefaultMaxReplyBytes, deadline.Token);
    }

    /// <summary>A good request, a new credential: signed. Proves the signer still serves after whatever came before.</summary>
    private async Task AssertStillSignsAsync(System.Net.IPEndPoint tcp)
    {
        var (_, request) = await site.SignedRequestAsync("dcbob");
        var reply = await ExchangeAsync(tcp, request);
        Assert.True(reply.Document is not null, reply.Text);
    }

    /// <summary>Signs <paramref name="input"/> with datacrumbsctl as <paramref name="user"/> on the Unix socket; the file's bytes.</summary>
    private async Task<byte[]> SignOverUnixSocketAsync(string user, string input)
    {
        var home = site.Dir[$"home-{user}-{Guid.NewGuid():N}"];
        Directory.CreateDirectory(home);
        await ProbeFixtures.ChownAsync(home, user);
        File.WriteAllText(Path.Combine(home, "in.json"), input);
        await ProbeFixtures.ChownAsync(Path.Combine(home, "in.json"), user);
        var env = new Dictionary<string, string?> { ["HOME"] = home, ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" };
        var signed = await Run.CommandAsync("setpriv", [$"--reuid={user}", $"--regid={user}", "--init-groups", "--", "dotnet", Cli,
            "probes", "sign", Path.Combine(home, "in.json"), "-o", Path.Combine(home, "out.json.gz"), "--signer-socket", site.Socket], TimeSpan.FromSeconds(120), env);
        Assert.True(signed.ExitCode == 0, signed.Stderr + signed.Stdout);
        return File.ReadAllBytes(Path.Combine(home, "out.json.gz"));
    }

    /// <summary>The document as json-c writes it, without the two members that say when it was signed.</summary>
    private static string WithoutTimes(JsonCObject document)
    {
        var copy = new JsonCObject();
        foreach (var (name, value) in document.Members)
        {
            if (name == "checksum") continue; // covers the times too
            if (name == "summary" && value is JsonCObject summary)
            {
                var kept = new JsonCObject();
                foreach (var (key, member) in summary.Members)
                    if (key is not ("expires_at" or "issued_at")) kept.Set(key, member);
                copy.Set(name, kept);
            }
            else copy.Set(name, value);
        }
        return Encoding.UTF8.GetString(JsonCPlain.Serialize(copy));
    }
}

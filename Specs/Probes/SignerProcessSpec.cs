using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;
using static Datacrumbs.Specs.Probes.ProbeFixtures;

namespace Datacrumbs.Specs.Probes;

/// <summary>
/// The real signer on a real socket, asked by real unprivileged users running the real client
/// (<c>datacrumbsctl probes sign</c>'s code in a test host process).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SignerProcessSpec(SignerFixture signer) : IClassFixture<SignerFixture>
{
    private static readonly string Cli = Path.Combine(SignerFixture.BinaryDir, "datacrumbsctl.dll");

    /// <summary>Runs <c>probes ...</c> as <paramref name="user"/> in a home dir that user owns.</summary>
    private async Task<(Run.Result Result, string Home)> ClientAsync(string user, params string[] args)
    {
        var home = signer.Dir[$"home-{user}-{Guid.NewGuid():N}"];
        Directory.CreateDirectory(home);
        await ChownAsync(home, user);
        var env = new Dictionary<string, string?> { ["HOME"] = home, ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" };
        var argv = new[] { $"--reuid={user}", $"--regid={user}", "--init-groups", "--", "dotnet", Cli, "probes" }.Concat(args);
        return (await Run.CommandAsync("setpriv", argv, TimeSpan.FromSeconds(60), env), home);
    }

    private async Task<(Run.Result Result, string Output)> SignAsUserAsync(string user, string probes)
    {
        var (_, home) = await ClientAsync(user, "--help");
        var input = Path.Combine(home, "in.json");
        File.WriteAllText(input, probes);
        await ChownAsync(input, user);
        var output = Path.Combine(home, "probes.json.gz");
        var (result, _) = await ClientAsync(user, "sign", input, "-o", output, "--signer-socket", signer.SocketPath);
        return (result, output);
    }

    [Theory]
    [InlineData("dcalice")]
    [InlineData("dcbob")]
    public async Task A_user_gets_a_document_signed_for_their_own_uid_as_the_kernel_reports_it(string user)
    {
        var uid = TestUsers.Lookup(user).Uid;
        var (result, output) = await SignAsUserAsync(user, SampleProbes);

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.StartsWith($"datacrumbs: probes: signed 2 probes (6 functions) for {user} (uid {uid}), valid until ", result.Stdout);
        var verified = ProbesDocument.Verify(File.ReadAllBytes(output), signer.Secret, ProbeFileLimits.Default, DateTimeOffset.UtcNow, uid);
        Assert.Equal((uid, user, "2"), (verified.Binding.Uid, verified.Binding.User, verified.Binding.SchemaVersion));
        Assert.Contains($"signed 2 probes (6 functions) for uid {uid} ({user})", signer.Output);
    }

    [Fact]
    public async Task The_user_verifies_and_shows_the_signed_file_with_the_client()
    {
        var (_, output) = await SignAsUserAsync("dcalice", SampleProbes);
        var (show, _) = await ClientAsync("dcalice", "show", output);
        Assert.Equal(0, show.ExitCode);
        Assert.Contains($"issued to:  dcalice (uid {AliceUid})", show.Stdout);
        Assert.Contains("[1] type 2 ior: 2060, 2061; binary /usr/bin/ior; also include_offsets", show.Stdout);

        var verify = await Run.CommandAsync("dotnet", [Cli, "probes", "verify", output, "--secret-file", signer.SecretFile, "--uid", AliceUid.ToString(CultureInfo.InvariantCulture)]);
        Assert.Equal(0, verify.ExitCode);
        Assert.Contains($"valid: 2 categories for dcalice (uid {AliceUid}), expires ", verify.Stdout);
        var wrongUser = await Run.CommandAsync("dotnet", [Cli, "probes", "verify", output, "--secret-file", signer.SecretFile, "--uid", BobUid.ToString(CultureInfo.InvariantCulture)]);
        Assert.Equal(1, wrongUser.ExitCode);
        Assert.Contains($"rejected: issued to uid {AliceUid} (dcalice), job user is {BobUid}", wrongUser.Stderr);
    }

    [Fact]
    public async Task A_request_cannot_name_the_uid_to_sign_for()
    {
        var reply = await RawAsync(Encoding.UTF8.GetBytes($$"""{"categories":{{SampleProbes}},"uid":{{BobUid}}}"""));
        Assert.Equal(SignStatus.BadRequest, reply.Status);
        Assert.Contains("uid", reply.Message);
        Assert.Null(reply.File);
    }

    [Theory]
    [InlineData("""[{"type":2,"name":"sh","functions":["x"],"binary_path":"/etc/shadow"}]""", "binary_path '/etc/shadow' is not under an allowed target")]
    [InlineData("""[{"type":2,"name":"a","functions":["x"],"binary_path":"/usr/bin/../../etc/shadow"}]""", "is not a normalized path")]
    [InlineData("""[{"type":1,"name":"k","functions":["vfs_read"]}]""", "type 1 is not allowed here (allowed: 0, 2)")]
    [InlineData("""[{"type":4,"name":"bpf","functions":["x"],"bpf_path":"/opt/app/probe.bpf.o"}]""", "(custom BPF) is allowed only for members of root")]
    [InlineData("""[{"type":0,"name":"many","functions":[""" + "\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\",\"f\"" + "]}]", "65 functions in all; the site allows at most 64")]
    public async Task The_site_policy_refuses_with_the_rule_that_applies(string probes, string reason)
    {
        var (result, output) = await SignAsUserAsync("dcalice", probes);
        Assert.Equal(4, result.ExitCode);
        Assert.Contains(reason, result.Stderr);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Root_in_the_custom_group_may_sign_custom_bpf()
    {
        var reply = await RawAsync(Encoding.UTF8.GetBytes("""{"categories":[{"type":4,"name":"bpf","functions":["x"],"bpf_path":"/opt/app/probe.bpf.o"}]}"""));
        Assert.Equal(SignStatus.Signed, reply.Status);
        Assert.Equal(0u, reply.Uid);
    }

    [Fact]
    public async Task An_oversized_frame_is_refused_before_it_is_read()
    {
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, 100 * 1024 * 1024);
        var reply = await RawAsync(header, rawFrame: true);
        Assert.Equal(SignStatus.BadRequest, reply.Status);
        Assert.Contains("exceeds the limit", reply.Message);
    }

    [Fact]
    public async Task An_idle_client_is_disconnected_at_the_client_timeout()
    {
        var quick = new SignerFixture(clientTimeoutSeconds: 2);
        await quick.InitializeAsync();
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(quick.SocketPath));
            var buffer = new byte[1];
            var n = await socket.ReceiveAsync(buffer).WaitAsync(TimeSpan.FromSeconds(120));
            Assert.Equal(0, n);
            Assert.Contains("no complete request within 2 s", quick.Output);
        }
        finally
        {
            await quick.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_secret_never_appears_in_output_replies_or_files()
    {
        var (signed, output) = await SignAsUserAsync("dcalice", SampleProbes);
        var (refused, _) = await SignAsUserAsync("dcalice", """[{"type":9,"name":"x","functions":["y"]}]""");
        var raw = await RawAsync("{\"probes\":42}"u8.ToArray());
        var secret = Convert.FromHexString(signer.SecretHex);
        var forms = new[] { signer.SecretHex, signer.SecretHex.ToUpperInvariant(), Convert.ToBase64String(secret), Encoding.Latin1.GetString(secret) };
        var texts = new[] { signer.Output, signed.Stdout, signed.Stderr, refused.Stdout, refused.Stderr, raw.Message, Encoding.Latin1.GetString(File.ReadAllBytes(output)) };
        foreach (var text in texts)
            foreach (var form in forms)
                Assert.DoesNotContain(form, text);
    }

    [Fact]
    public async Task The_signer_refuses_to_start_with_a_secret_file_others_can_read()
    {
        using var dir = NewDir();
        WriteFile(dir["keys"], Encoding.ASCII.GetBytes(signer.SecretHex), 0b110_100_100);
        File.WriteAllText(dir["signer.json"], SignerFixture.Config(dir["signer.sock"], dir["keys"]));
        var result = await Run.CommandAsync("dotnet", [Path.Combine(SignerFixture.BinaryDir, "datacrumbs_sign_probes.dll"), "--config", dir["signer.json"]]);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"datacrumbs_sign_probes: cannot start: key file {dir["keys"]} has mode 0644; it must be 0600 or 0400 (chmod 0600 {dir["keys"]})", result.Stderr.Trim());
        Assert.DoesNotContain(signer.SecretHex, result.Stderr + result.Stdout);
        Assert.False(File.Exists(dir["signer.sock"]));
    }

    public static TheoryData<string, string> UndefinedFields => new()
    {
        { """{"type":0,"name":"sys","functions":["read"],"binary":"/bin/sh"}""", "\"binary\" is not a field of the DataCrumbs probe format" },
        { """{"type":2,"name":"ior","functions":["main"],"Binary_path":"/bin/sh"}""", "\"Binary_path\" is not a field" },
        { """{"type":4,"name":"bpf","functions":["x"],"bpf_code":"int f(){}"}""", "\"bpf_code\" is not a field" },
        { """{"type":0,"name":"sys","functions":["read"],"function_offsets":{"read":16}}""", "\"function_offsets\" is not a field" },
    };

    /// <summary>Issue 17: a field the runtime's format does not define is refused, never signed and passed on unchecked.</summary>
    [Theory]
    [MemberData(nameof(UndefinedFields))]
    public async Task A_probe_field_the_format_does_not_define_is_refused(string probe, string reason)
    {
        var reply = await RawAsync(Encoding.UTF8.GetBytes($$"""{"categories":[{{probe}}]}"""));
        Assert.Equal(SignStatus.BadRequest, reply.Status);
        Assert.Contains(reason, reply.Message);
        Assert.Null(reply.File);
    }

    /// <summary>Issue 17: limits left out of the policy take ProbePolicy's declared defaults (the signer refused to start).</summary>
    [Fact]
    public async Task Limits_left_out_of_the_configuration_take_their_declared_defaults()
    {
        using var dir = NewDir();
        WriteSecretFile(dir["secret"], signer.SecretHex);
        File.WriteAllText(dir["signer.json"], $$$"""{"socket": "{{{dir["signer.sock"]}}}", "secret_file": "{{{dir["secret"]}}}", "policy": {"allowed_types": ["0"]}}""");
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new StringBuilder();
        using var process = SignerFixture.Start(dir["signer.json"], line =>
        {
            lock (output) output.AppendLine(line);
            if (line.StartsWith("listening on", StringComparison.Ordinal)) listening.TrySetResult(line);
        });
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"the signer exited: {output}"));
        try
        {
            var line = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Contains("16 clients at most, 4 a user", line);
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    [Fact]
    public async Task The_socket_is_open_to_everyone()
    {
        Assert.Equal((UnixFileMode)0b110_110_110, File.GetUnixFileMode(signer.SocketPath));
        await Task.CompletedTask;
    }

    /// <summary>Sends one request as root (this process), as bytes the client would never produce.</summary>
    private async Task<SignReply> RawAsync(byte[] body, bool rawFrame = false)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(signer.SocketPath));
        await using var stream = new NetworkStream(socket);
        if (rawFrame) await stream.WriteAsync(body);
        else
        {
            var header = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(header, body.Length);
            await stream.WriteAsync(header);
            await stream.WriteAsync(body);
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await Frames.ReadAsync(stream, SignerJson.Default.SignReply, Frames.DefaultMaxReplyBytes, cts.Token)
               ?? throw new InvalidOperationException("no reply");
    }
}

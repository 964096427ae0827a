using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.Security;

/// <summary>
/// Issue 17, finding 3: requests the frame parser takes but the signer cannot sign (lone
/// surrogates in the probe list, nesting the runtime's json-c would refuse in the signed file)
/// each get one reply naming the problem and one log line, and the signer still stops cleanly
/// (exit 0) on SIGTERM afterwards. A real signer process of its own, asked by root (this process).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SignerMalformedRequestSpec : IAsyncLifetime
{
    private readonly ProbeFixtures.TempDir _dir = ProbeFixtures.NewDir();
    private SignerUnderTest? _signer;

    private string Socket => _dir["sock/signer.sock"];
    private string Output => _signer?.Output ?? "";

    public async Task InitializeAsync()
    {
        ProbeFixtures.WriteSecretFile(_dir["secret"], ProbeFixtures.NewSecretHex());
        File.WriteAllText(_dir["signer.json"], SignerFixture.Config(Socket, _dir["secret"]));
        _signer = await SignerUnderTest.StartAsync(_dir["signer.json"]);
    }

    public Task DisposeAsync()
    {
        _signer?.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Categories nested <paramref name="levels"/> deep (the array itself is level 1).</summary>
    private static string Nested(int levels) =>
        """[{"type":0,"name":"sys","functions":["read"],"function_arguments":{"read":""" + new string('[', levels - 3) + new string(']', levels - 3) + "}}]";

    public static TheoryData<string, string> Malformed => new()
    {
        { """{"categories":[{"type":0,"name":"sys","functions":["\ud800"]}]}""", "is not valid Unicode text" },
        { """{"categories":[{"type":0,"name":"\udfff","functions":["read"]}]}""", "is not valid Unicode text" },
        { """{"categories":[{"type":0,"name":"sys","functions":["read"]}],"summary":{"note":"\ud834"}}""", "is not valid Unicode text" },
        { "{\"categories\":" + Nested(32) + "}", "nested deeper than 32 levels in the signed file" },
        { "{\"categories\":" + Nested(40) + "}", "nested deeper than 32 levels in the signed file" },
        { "{\"categories\":" + Nested(63) + "}", "nested deeper than 32 levels in the signed file" },
    };

    [Fact]
    public async Task Every_malformed_request_gets_one_reply_and_one_log_line_and_the_signer_stops_cleanly()
    {
        foreach (var (request, reason) in Malformed.Select(row => ((string)row[0], (string)row[1])))
        {
            var reply = await ExchangeAsync(Encoding.UTF8.GetBytes(request));
            Assert.True(reply is { Status: SignStatus.BadRequest }, $"{request[..Math.Min(80, request.Length)]}: {reply?.Status} {reply?.Message}");
            Assert.Contains(reason, reply!.Message);
        }
        (await Run.CommandAsync("kill", "-TERM", _signer!.Process.Id.ToString())).EnsureSuccess("kill -TERM");
        // Also waits for the end of its output: every log line has been read after this.
        await _signer!.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(_signer!.Process.ExitCode == 0, $"the signer exited with {_signer!.Process.ExitCode}:\n{Output}");
        Assert.Contains("stopped", Output);
        var refusals = Output.Split('\n').Count(l => l.StartsWith("refused uid 0 (root)", StringComparison.Ordinal));
        Assert.Equal(Malformed.Count, refusals);
    }

    private async Task<SignReply?> ExchangeAsync(byte[] body)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(Socket));
        await using var stream = new NetworkStream(socket);
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, body.Length);
        await stream.WriteAsync(header);
        await stream.WriteAsync(body);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { return await Frames.ReadAsync(stream, SignerJson.Default.SignReply, Frames.DefaultMaxReplyBytes, deadline.Token); }
        catch (Exception e) when (e is IOException or ProtocolException) { return null; }
    }
}

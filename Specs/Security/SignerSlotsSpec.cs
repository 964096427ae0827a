using System.Diagnostics;
using System.Text;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.Security;

/// <summary>
/// Issue 17, finding 2: the signer's client slots are per user. dcbob holds as many idle connections
/// as the signer serves in all (4); only his own 2 slots fill, dcalice still signs, and dcbob's own
/// client is told the signer is busy (exit 3), not a protocol error. Real signer, real users, the real client.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SignerSlotsSpec : IAsyncLifetime
{
    private const int MaxClients = 4, PerUser = 2;
    private readonly ProbeFixtures.TempDir _dir = ProbeFixtures.NewDir();
    private readonly TaskCompletionSource<string> _bobBusyLogged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SignerUnderTest? _signer;

    private string Socket => _dir["sock/signer.sock"];
    private string Output => _signer?.Output ?? "";

    public async Task InitializeAsync()
    {
        ProbeFixtures.WriteSecretFile(_dir["secret"], ProbeFixtures.NewSecretHex());
        // Idle connections must outlive the spec's client starts on a loaded machine: a long client timeout.
        var config = SignerFixture.Config(Socket, _dir["secret"], clientTimeoutSeconds: 300)
            .Replace("\"max_clients\": 4,", $"\"max_clients\": {MaxClients}, \"max_clients_per_user\": {PerUser},");
        File.WriteAllText(_dir["signer.json"], config);
        _signer = await SignerUnderTest.StartAsync(_dir["signer.json"], line =>
        {
            if (line.StartsWith($"refused uid {TestUsers.Bob.Uid} pid ", StringComparison.Ordinal) && line.Contains(": busy, ")) _bobBusyLogged.TrySetResult(line);
        });
    }

    public Task DisposeAsync()
    {
        _signer?.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task One_user_holding_idle_connections_fills_only_their_own_slots()
    {
        using var hoarder = await IdleConnections.HoldAsync(Socket, "dcbob", MaxClients);
        try
        {
            var alice = await SignAsync("dcalice");
            Assert.True(alice.ExitCode == 0, alice.Stdout + alice.Stderr);

            var bob = await SignAsync("dcbob");
            Assert.True(bob.ExitCode == 3, $"exit {bob.ExitCode}: {bob.Stdout}{bob.Stderr}");
            Assert.Contains($"the signer is busy: uid {TestUsers.Bob.Uid} has {PerUser} requests open, the most one user may have; try again in a moment", bob.Stderr);
            Assert.DoesNotContain("protocol error", bob.Stderr);
            // The signer logs before it answers; its output reaches us on its own pipe.
            var logged = await _bobBusyLogged.Task.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.EndsWith($"busy, uid {TestUsers.Bob.Uid} has {PerUser} requests open, the most one user may have", logged);
        }
        finally
        {
            hoarder.Kill();
        }
    }

    /// <summary>The real client, as <paramref name="user"/>, signing the sample probes into that user's own dir.</summary>
    private async Task<Run.Result> SignAsync(string user)
    {
        var home = _dir[$"home-{user}"];
        Directory.CreateDirectory(home);
        await ProbeFixtures.ChownAsync(home, user);
        var input = Path.Combine(home, "in.json");
        File.WriteAllText(input, ProbeFixtures.SampleProbes);
        await ProbeFixtures.ChownAsync(input, user);
        var env = new Dictionary<string, string?> { ["HOME"] = home, ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" };
        string[] argv = [$"--reuid={user}", $"--regid={user}", "--init-groups", "--", "dotnet", Path.Combine(SignerFixture.BinaryDir, "datacrumbsctl.dll"),
            "probes", "sign", input, "-o", Path.Combine(home, "probes.json.gz"), "--signer-socket", Socket];
        return await Run.CommandAsync("setpriv", argv, TimeSpan.FromSeconds(120), env);
    }
}

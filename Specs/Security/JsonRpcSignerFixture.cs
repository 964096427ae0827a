using System.Net;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.Security;

/// <summary>
/// A munged of its own and a real signer serving upstream's JSON-RPC on loopback, on a port the system
/// chooses (read from the signer's "listening on tcp" line), beside its Unix socket; shared by a spec class.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class JsonRpcSignerFixture : IAsyncLifetime
{
    public ProbeFixtures.TempDir Dir { get; } = ProbeFixtures.NewDir();
    public MungedUnderTest Munged { get; private set; } = null!;
    public SignerUnderTest Signer { get; private set; } = null!;
    public ProbeSecret Secret { get; private set; } = null!;
    public string SecretFile => Dir["secret"];
    public string Socket => Dir["sock/signer.sock"];
    public IPEndPoint Tcp => Signer.TcpEndPoint ?? throw new InvalidOperationException($"the signer announced no TCP listener:\n{Signer.Output}");

    public async Task InitializeAsync()
    {
        ProbeFixtures.WriteSecretFile(SecretFile, ProbeFixtures.NewSecretHex());
        Secret = ProbeSecret.LoadFile(SecretFile);
        Munged = await MungedUnderTest.StartAsync();
        Signer = await StartSignerAsync("signer.json", Socket, clientTimeoutSeconds: 30);
    }

    /// <summary>Another signer on the same secret and munged (e.g. with a short client timeout).</summary>
    public async Task<SignerUnderTest> StartSignerAsync(string name, string socket, double clientTimeoutSeconds)
    {
        var extra = $"\"tcp_listen\": \"127.0.0.1:0\", \"munge_socket\": \"{Munged.Socket}\",";
        File.WriteAllText(Dir[name], SignerFixture.Config(socket, SecretFile, clientTimeoutSeconds, extra));
        return await SignerUnderTest.StartAsync(Dir[name]);
    }

    /// <summary>A request upstream's configurator would send for <paramref name="categories"/>, with a credential <paramref name="user"/> made for it.</summary>
    public async Task<(string Payload, byte[] Request)> SignedRequestAsync(string user, string categories = ProbeFixtures.SampleProbes, string? extraSummaryMember = null)
    {
        var payload = UpstreamManagerClient.SigningPayload(categories, extraSummaryMember);
        var credential = await Munged.CredentialAsync(user, UpstreamManagerClient.Digest(payload));
        return (payload, UpstreamManagerClient.Request(payload, credential));
    }

    public Task DisposeAsync()
    {
        Signer?.Dispose();
        Munged?.Dispose();
        Dir.Dispose();
        return Task.CompletedTask;
    }
}

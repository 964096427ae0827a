using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.Security;

/// <summary>
/// datacrumbs_sign_probes.service is Type=notify: the signer must say READY=1 on $NOTIFY_SOCKET once
/// it listens (it never did, so systemd would have killed it at the start timeout). systemd's side
/// of the protocol is one datagram socket; the spec binds it, as systemd does, and starts the real signer.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SignerSystemdReadySpec
{
    [Fact]
    public async Task The_signer_tells_systemd_it_is_ready_once_its_socket_listens()
    {
        using var dir = ProbeFixtures.NewDir();
        ProbeFixtures.WriteSecretFile(dir["secret"], ProbeFixtures.NewSecretHex());
        File.WriteAllText(dir["signer.json"], SignerFixture.Config(dir["sock/signer.sock"], dir["secret"]));
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(dir["notify.sock"]));

        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(SignerFixture.BinaryDir, "datacrumbs_sign_probes.dll"), "--config", dir["signer.json"] }) psi.ArgumentList.Add(a);
        psi.Environment["NOTIFY_SOCKET"] = dir["notify.sock"];
        using var signer = Process.Start(psi)!;
        var output = signer.StandardOutput.ReadToEndAsync();
        try
        {
            var buffer = new byte[256];
            var n = await notify.ReceiveAsync(buffer).WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal("READY=1", Encoding.ASCII.GetString(buffer, 0, n));
            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await client.ConnectAsync(new UnixDomainSocketEndPoint(dir["sock/signer.sock"])); // listening by then
        }
        finally
        {
            signer.Kill();
            await signer.WaitForExitAsync();
        }
        Assert.StartsWith("listening on ", await output);
    }
}

using System.Security.Cryptography;
using System.Text;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Probes.JsonC;
using Datacrumbs.Messages.Unix;

namespace Datacrumbs.Daemon.Demo;

/// <summary>
/// The demo's site: a fresh secret in the runtime's format and a small probe document signed with it,
/// which the stand-in tracer verifies exactly as the DataCrumbs runtime would.
/// </summary>
public static class DemoProbes
{
    private const string Categories = """[{"type":0,"name":"sys","functions":["openat","read","write","close"]}]""";

    /// <summary>Writes the secret (0400) and returns the signed file's bytes, bound to the demo's user.</summary>
    public static byte[] WriteSecretAndSign(string secretPath)
    {
        var hex = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        File.WriteAllText(secretPath, hex);
        File.SetUnixFileMode(secretPath, UnixFileMode.UserRead);
        var uid = UnixAccounts.EffectiveUid();
        var user = UnixAccounts.LookupUser(uid)?.Name ?? "root";
        var secret = ProbeSecret.Parse(Encoding.ASCII.GetBytes(hex), secretPath);
        return ProbesDocument.Sign((JsonCArray)JsonCReader.Parse(Encoding.UTF8.GetBytes(Categories)), null, uid, user,
            DateTimeOffset.UtcNow, TimeSpan.FromHours(1), secret).File;
    }
}

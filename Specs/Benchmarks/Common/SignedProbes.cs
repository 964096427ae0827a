using System.Security.Cryptography;
using System.Text;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Probes.JsonC;

namespace Datacrumbs.Benchmarks.Common;

/// <summary>
/// What a benchmark node needs to trace a job as a real node does: the site secret in the runtime's
/// format (64 hex characters, root, 0400) and a probe file our signer would write for the job's user
/// (the runtime's document, bound to the uid, valid for a day), readable by that user. The daemon
/// checks it (signatures on, the product's default) and the stand-in tracer verifies it as the
/// runtime does, so the figures include both checks.
/// </summary>
public static class SignedProbes
{
    private const string Categories = """
        [{"type":0,"name":"sys","functions":["openat","read","write","close"]},
         {"type":2,"name":"ior","functions":["main"],"binary_path":"/usr/bin/ior","include_offsets":false}]
        """;

    public static void Write(string secretFile, string probeFile, uint uid, string user)
    {
        var hex = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        File.WriteAllBytes(secretFile, Encoding.ASCII.GetBytes(hex));
        File.SetUnixFileMode(secretFile, UnixFileMode.UserRead);
        var secret = ProbeSecret.Parse(Encoding.ASCII.GetBytes(hex), secretFile);
        var (_, file) = ProbesDocument.Sign((JsonCArray)JsonCReader.Parse(Encoding.UTF8.GetBytes(Categories)), null, uid, user,
            DateTimeOffset.UtcNow, TimeSpan.FromDays(1), secret);
        File.WriteAllBytes(probeFile, file);
        File.SetUnixFileMode(probeFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }
}

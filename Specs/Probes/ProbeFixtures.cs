using System.Security.Cryptography;
using System.Text.Json;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Probes.JsonC;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Probes;

/// <summary>Keys, probe lists and signed files for the probe specs; real files in a temp dir.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class ProbeFixtures
{
    /// <summary>The real test users' uids, looked up (see <see cref="TestUsers"/>).</summary>
    public static uint AliceUid => TestUsers.Alice.Uid;
    public static uint BobUid => TestUsers.Bob.Uid;

    public const string SampleProbes = """
        [{"type":0,"name":"sys","functions":["openat","read","write","close"]},
         {"type":2,"name":"ior","functions":["2060","2061"],"binary_path":"/usr/bin/ior","include_offsets":false}]
        """;

    /// <summary>A new site secret's text, as the DataCrumbs runtime generates it: 64 lowercase hex characters, no newline.</summary>
    public static string NewSecretHex() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static ProbeSecret Secret(string hex) => ProbeSecret.Parse(System.Text.Encoding.ASCII.GetBytes(hex), "test secret");

    public static ProbeSecret NewSecret() => Secret(NewSecretHex());

    /// <summary>Writes a secret file as the runtime keeps it (mode 0400, the caller's, i.e. root's, file).</summary>
    public static void WriteSecretFile(string path, string hex) => WriteFile(path, System.Text.Encoding.ASCII.GetBytes(hex), 0b100_000_000);

    public static JsonElement Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    /// <summary>A file in the runtime's real format, bound to the user (schema 2), as our signer writes it.</summary>
    public static byte[] SignFor(uint uid, string user, ProbeSecret secret, DateTimeOffset? at = null, TimeSpan? validity = null, string probes = SampleProbes) =>
        ProbesDocument.Sign((JsonCArray)JsonCReader.Parse(System.Text.Encoding.UTF8.GetBytes(probes)), null, uid, user,
            at ?? DateTimeOffset.UtcNow, validity ?? TimeSpan.FromHours(1), secret).File;

    /// <summary>A world-traversable temp dir (0755) the test users can reach; deleted with the returned handle.</summary>
    public static TempDir NewDir() => new();

    public sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("dc-probes-").FullName;
        public TempDir() => File.SetUnixFileMode(Path, (UnixFileMode)0b111_101_101);
        public string this[string name] => System.IO.Path.Combine(Path, name);
        public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
    }

    public static async Task ChownAsync(string path, string owner) =>
        (await Run.CommandAsync("chown", "--no-dereference", owner, path)).EnsureSuccess("chown");

    public static void WriteFile(string path, byte[] bytes, int mode)
    {
        File.WriteAllBytes(path, bytes);
        File.SetUnixFileMode(path, (UnixFileMode)mode);
    }
}

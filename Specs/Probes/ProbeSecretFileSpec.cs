using System.Text;
using Datacrumbs.Daemon.Configuration;
using Datacrumbs.Daemon.Probes;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Specs.Harness;
using static Datacrumbs.Specs.Probes.ProbeFixtures;

namespace Datacrumbs.Specs.Probes;

/// <summary>
/// The site secret in the runtime's format: 64 hex characters, no newline, root, 0400. Anything else is
/// refused with the reason, and a node without it does not start (the runtime would invent its own).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ProbeSecretFileSpec : IDisposable
{
    private readonly TempDir _dir = NewDir();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_root_owned_0400_or_0600_file_of_64_hex_characters_is_the_key_itself()
    {
        var hex = NewSecretHex();
        foreach (var mode in new[] { 0b100_000_000, 0b110_000_000 })
        {
            WriteFile(_dir["secret"], Encoding.ASCII.GetBytes(hex), mode);
            var secret = ProbeSecret.LoadFile(_dir["secret"]);
            // The key is the 64 characters' bytes, as the runtime reads them, not the 32 bytes they spell.
            Assert.Equal(System.Security.Cryptography.HMACSHA256.HashData(Encoding.ASCII.GetBytes(hex), "x"u8), secret.Mac("x"u8));
        }
    }

    [Fact]
    public void A_trailing_newline_is_refused_because_the_runtime_would_make_it_part_of_the_key()
    {
        WriteFile(_dir["secret"], Encoding.ASCII.GetBytes(NewSecretHex() + "\n"), 0b100_000_000);
        var e = Assert.Throws<InvalidDataException>(() => ProbeSecret.LoadFile(_dir["secret"]));
        Assert.StartsWith($"{_dir["secret"]} ends with a newline; the DataCrumbs runtime would make the newline part of the key", e.Message);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("site-2025 c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=")]
    public void Anything_but_64_hex_characters_is_refused(string content)
    {
        WriteFile(_dir["secret"], Encoding.ASCII.GetBytes(content), 0b100_000_000);
        var e = Assert.Throws<InvalidDataException>(() => ProbeSecret.LoadFile(_dir["secret"]));
        Assert.Contains("exactly 64 hex characters", e.Message);
        Assert.DoesNotContain(content, e.Message);
    }

    [Fact]
    public void A_secret_others_can_read_is_refused_naming_the_file_and_mode()
    {
        WriteFile(_dir["secret"], Encoding.ASCII.GetBytes(NewSecretHex()), 0b110_100_100);
        var e = Assert.Throws<UnauthorizedAccessException>(() => ProbeSecret.LoadFile(_dir["secret"]));
        Assert.Equal($"key file {_dir["secret"]} has mode 0644; it must be 0600 or 0400 (chmod 0600 {_dir["secret"]})", e.Message);
    }

    [Fact]
    public async Task A_secret_not_owned_by_root_is_refused()
    {
        WriteFile(_dir["secret"], Encoding.ASCII.GetBytes(NewSecretHex()), 0b100_000_000);
        await ChownAsync(_dir["secret"], "dcalice");
        var e = Assert.Throws<UnauthorizedAccessException>(() => ProbeSecret.LoadFile(_dir["secret"]));
        Assert.Equal($"key file {_dir["secret"]} is owned by uid {TestUsers.Alice.Uid}; it must be owned by root", e.Message);
    }

    [Fact]
    public void A_node_without_the_secret_refuses_to_start_saying_where_it_looked()
    {
        var options = new DaemonOptions { RunDir = _dir["run"], Probes = new DaemonOptions.ProbeOptions { SecretFile = _dir["missing"] } };
        var e = Assert.Throws<InvalidOperationException>(() => ProbeAdmission.Create(options));
        Assert.StartsWith($"cannot load the probe secret: the probe secret {_dir["missing"]} does not exist; copy the site's secret there from the signer host", e.Message);
        Assert.False(File.Exists(_dir["missing"])); // never created, unlike the runtime
    }
}

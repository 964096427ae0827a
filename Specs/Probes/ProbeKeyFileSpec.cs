using Datacrumbs.Messages.Probes;
using Datacrumbs.Specs.Harness;
using static Datacrumbs.Specs.Probes.ProbeFixtures;

namespace Datacrumbs.Specs.Probes;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ProbeKeyFileSpec
{
    [Fact]
    public void A_root_owned_0600_or_0400_key_file_loads_and_its_first_key_is_current()
    {
        using var dir = NewDir();
        foreach (var mode in new[] { 0b110_000_000, 0b100_000_000 })
        {
            WriteFile(dir["keys"], System.Text.Encoding.UTF8.GetBytes($"# site keys\nsite-2026 {NewSecretBase64()}\n\nsite-2025 {NewSecretBase64()}\n"), mode);
            var ring = ProbeKeyRing.LoadFile(dir["keys"]);
            Assert.Equal("site-2026", ring.CurrentKeyId);
            Assert.Equal(["site-2026", "site-2025"], ring.KeyIds);
        }
    }

    [Fact]
    public void A_key_file_readable_by_others_is_refused_naming_the_file_and_mode()
    {
        using var dir = NewDir();
        WriteFile(dir["keys"], System.Text.Encoding.UTF8.GetBytes($"k {NewSecretBase64()}\n"), 0b110_100_100);
        var e = Assert.Throws<UnauthorizedAccessException>(() => ProbeKeyRing.LoadFile(dir["keys"]));
        Assert.Equal($"key file {dir["keys"]} has mode 0644; it must be 0600 or 0400 (chmod 0600 {dir["keys"]})", e.Message);
    }

    [Fact]
    public async Task A_key_file_not_owned_by_root_is_refused()
    {
        using var dir = NewDir();
        WriteFile(dir["keys"], System.Text.Encoding.UTF8.GetBytes($"k {NewSecretBase64()}\n"), 0b110_000_000);
        await ChownAsync(dir["keys"], "dcalice");
        var e = Assert.Throws<UnauthorizedAccessException>(() => ProbeKeyRing.LoadFile(dir["keys"]));
        Assert.Equal($"key file {dir["keys"]} is owned by uid {TestUsers.Alice.Uid}; it must be owned by root", e.Message);
    }

    [Theory]
    [InlineData("k c2hvcnQ=", "is 5 bytes; at least 32 are required")]
    [InlineData("k !!!notbase64!!!", "is not valid base64")]
    [InlineData("bad/id AAAA", "key id must be")]
    [InlineData("# nothing\n", "holds no key")]
    public void Malformed_key_files_are_refused_without_echoing_the_secret(string text, string reason)
    {
        var e = Assert.Throws<InvalidDataException>(() => ProbeKeyRing.Parse(text, "keys"));
        Assert.Contains(reason, e.Message);
        Assert.DoesNotContain("c2hvcnQ=", e.Message);
        Assert.DoesNotContain("notbase64", e.Message);
    }

    [Fact]
    public void The_key_ring_never_shows_its_secrets()
    {
        var secret = NewSecretBase64();
        var ring = Ring(("site-2025", secret));
        Assert.Equal("probe keys: site-2025 (current)", ring.ToString());
    }
}

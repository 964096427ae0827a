using System.Text;
using System.Text.RegularExpressions;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Probes.JsonC;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Probes;

/// <summary>docs/probes.rst's worked example is right: our payload, our checksum and openssl's agree with the page.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class ProbesDocsExampleSpec
{
    [GeneratedRegex(@"exactly \(64 characters, no newline\)\s+``(?<secret>[0-9a-f]{64})``")]
    private static partial Regex Secret();
    [GeneratedRegex(@"\n   (?<payload>\{""summary"".*""checksum_algorithm"":""hmac-sha256""\})\n")]
    private static partial Regex Payload();
    [GeneratedRegex(@"# SHA2-256\(stdin\)= (?<checksum>[0-9a-f]{64})")]
    private static partial Regex Checksum();

    private const uint ExampleUid = 1001; // the page's example document: a number in the docs, no account here (allowed)

    [Fact]
    public async Task The_worked_example_recomputes_with_our_code_and_with_openssl()
    {
        var page = await File.ReadAllTextAsync(Path.Combine(ProbesTamperSpec.RepoRoot(), "docs/probes.rst"));
        var secret = Secret().Match(page).Groups["secret"].Value;
        var payload = Payload().Match(page).Groups["payload"].Value;
        var checksum = Checksum().Match(page).Groups["checksum"].Value;
        Assert.All(new[] { secret, payload, checksum }, s => Assert.NotEqual("", s));

        // The page's payload is exactly what we would sign for a file holding it.
        var file = Encoding.UTF8.GetBytes(payload.Replace(@"""checksum_algorithm"":""hmac-sha256""}", $@"""checksum_algorithm"":""hmac-sha256"",""checksum"":""{checksum}""}}"));
        var root = (JsonCObject)JsonCReader.Parse(file);
        Assert.Equal(payload, Encoding.UTF8.GetString(ProbesDocument.SignedPayload((JsonCObject)root["summary"]!, (JsonCArray)root["categories"]!)));
        var verified = ProbesDocument.Verify(file, ProbeFixtures.Secret(secret), ProbeFileLimits.Default,
            DateTimeOffset.FromUnixTimeSeconds(1767139200), ExampleUid);
        Assert.Equal(ExampleUid, verified.Binding.Uid);

        var openssl = await Run.CommandAsync("openssl", ["dgst", "-sha256", "-hmac", secret], stdin: payload);
        Assert.Equal($"SHA2-256(stdin)= {checksum}", openssl.EnsureSuccess("openssl").Stdout.Trim());
    }
}

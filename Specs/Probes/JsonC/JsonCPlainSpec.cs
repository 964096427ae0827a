using System.Text;
using CsCheck;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Probes.JsonC;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Probes.JsonC;

/// <summary>
/// Our reading and PLAIN writing of JSON is json-c's, byte for byte, proven against libjson-c itself on
/// generated documents (whatever json-c accepts that we refuse is listed: we never accept what it refuses),
/// and our checksums equal upstream's published Python way of signing on ASCII documents.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class JsonCPlainSpec(JsonCLibrary jsonc) : IClassFixture<JsonCLibrary>
{
    private static string? Ours(string line, bool payload)
    {
        JsonCValue value;
        try { value = JsonCReader.Parse(Encoding.UTF8.GetBytes(line)); }
        catch (FormatException) { return null; }
        if (!payload) return Encoding.UTF8.GetString(JsonCPlain.Serialize(value));
        return value is JsonCObject root && root["summary"] is JsonCObject s && root["categories"] is JsonCArray c
            ? Encoding.UTF8.GetString(ProbesDocument.SignedPayload(s, c)) : null;
    }

    private async Task SameAsJsonCAsync(Gen<string> documents, string mode, int batches)
    {
        // A batch of documents a sample: one helper process answers all of them.
        int compared = 0, total = 0;
        await documents.Array[100].SampleAsync(async lines =>
        {
            var theirs = await jsonc.AskAsync(mode, lines);
            for (var i = 0; i < lines.Length; i++)
            {
                var ours = Ours(lines[i], mode == "payload");
                // We may refuse what json-c reads (never the reverse), but what we both read must be identical.
                Assert.True(theirs[i] is not null || ours is null, $"we accept what json-c refuses: {lines[i]}");
                if (ours is not null) Assert.Equal(theirs[i], ours);
                if (ours is not null) compared++;
                total++;
            }
        }, iter: batches, threads: 1);
        // Refusing everything would pass the loop above: most documents must really be compared.
        Assert.True(compared * 10 > total * 7, $"only {compared} of {total} documents were read by both");
    }

    [Fact]
    public Task Any_document_reads_and_writes_exactly_as_json_c_plain() => SameAsJsonCAsync(JsonDocuments.Value(4), "plain", 20);

    [Fact]
    public Task The_signed_payload_of_any_probe_shaped_document_is_the_runtimes() => SameAsJsonCAsync(JsonDocuments.ProbeShaped, "payload", 20);

    [Fact]
    public async Task The_quirks_hold_as_documented()
    {
        string[] lines =
        [
            """{"a":1,"b":"x/y","a":2}""",
            """["\u00e9\u2028", "\ud83d\ude00", "\u0001\u001f\u007f", "\b\f\n\r\t"]""",
            """[-0, 1.50, 1e3, -0.0, 18446744073709551615, 18446744073709551616, -9223372036854775809]""",
        ];
        string[] expected =
        [
            """{"a":2,"b":"x\/y"}""",
            "[\"\u00e9\u2028\",\"\U0001F600\",\"\\u0001\\u001f\u007f\",\"\\b\\f\\n\\r\\t\"]",
            """[0,1.50,1e3,-0.0,18446744073709551615,18446744073709551615,-9223372036854775808]""",
        ];
        Assert.Equal(expected, await jsonc.AskAsync("plain", lines));
        Assert.Equal(expected, lines.Select(l => Ours(l, payload: false)));
    }

    [Fact]
    public async Task Nesting_is_bounded_where_json_c_bounds_it()
    {
        string Nested(int depth) => new string('[', depth) + new string(']', depth);
        var answers = await jsonc.AskAsync("plain", [Nested(JsonCReader.MaxDepth), Nested(JsonCReader.MaxDepth + 1)]);
        Assert.Equal([Nested(JsonCReader.MaxDepth), null], answers);
        Assert.Equal(Nested(JsonCReader.MaxDepth), Ours(Nested(JsonCReader.MaxDepth), payload: false));
        Assert.Null(Ours(Nested(JsonCReader.MaxDepth + 1), payload: false));
    }

    /// <summary>
    /// Upstream's script (karimyoussef91/datacrumbs generate_core_only_mpiio_probe.py) signs
    /// json.dumps(payload, separators=(",", ":")) with "/" replaced by "\/"; on ASCII documents whose
    /// numbers are integers that is the same payload, so the same checksum.
    /// </summary>
    [Fact]
    public async Task Checksums_equal_upstreams_python_signing_on_ascii_documents()
    {
        const string python = """
            import hashlib, hmac, json, sys
            key = sys.argv[1].encode()
            for line in sys.stdin:
                doc = json.loads(line)
                payload = {"summary": doc["summary"], "categories": doc["categories"], "checksum_algorithm": "hmac-sha256"}
                text = json.dumps(payload, separators=(",", ":")).replace("/", "\\/")
                print(hmac.new(key, text.encode(), hashlib.sha256).hexdigest())
            """;
        var asciiNames = Gen.OneOf("a", "b", "name", "functions", "binary_path", "x/y", "");
        var asciiString = Gen.Frequency((8, Gen.Int[0x20, 0x7e]), (1, Gen.Int[0, 0x1f])).Array[0, 10]
            .Select(cs => System.Text.Json.JsonSerializer.Serialize(new string(cs.Select(c => (char)c).ToArray())));
        var scalar = Gen.OneOf(asciiString, Gen.Long.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)), Gen.OneOf("true", "false", "null"));
        var entry = Gen.Select(asciiNames, scalar).Array[0, 6].Select(ms => "{" + string.Join(",", ms.Select(m => $"\"{m.Item1}\":{m.Item2}")) + "}");
        var doc = Gen.Select(entry, entry.Array[0, 4]).Select((s, c) => $"{{\"summary\":{s},\"categories\":[{string.Join(",", c)}]}}");
        var secretHex = ProbeFixtures.NewSecretHex();
        var secret = ProbeFixtures.Secret(secretHex);

        await doc.Array[100].SampleAsync(async lines =>
        {
            var result = (await Run.CommandAsync("/usr/bin/python3", ["-c", python, secretHex], TimeSpan.FromSeconds(120), stdin: string.Join("\n", lines) + "\n"))
                .EnsureSuccess("python3");
            var theirs = result.Stdout.Split('\n')[..^1];
            Assert.Equal(lines.Length, theirs.Length);
            for (var i = 0; i < lines.Length; i++)
            {
                var root = (JsonCObject)JsonCReader.Parse(Encoding.UTF8.GetBytes(lines[i]));
                var ours = Convert.ToHexStringLower(secret.Mac(ProbesDocument.SignedPayload((JsonCObject)root["summary"]!, (JsonCArray)root["categories"]!)));
                Assert.True(theirs[i] == ours, $"checksums differ for {lines[i]}");
            }
        }, iter: 10, threads: 1);
    }
}

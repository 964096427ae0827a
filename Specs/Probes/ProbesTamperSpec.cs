using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Probes.JsonC;
using static Datacrumbs.Specs.Probes.ProbeFixtures;

namespace Datacrumbs.Specs.Probes;

/// <summary>
/// The runtime's document (summary, categories, checksum_algorithm, hex checksum) verified as the
/// runtime does, plus the schema 2 binding we always enforce: every way a file can be wrong is refused,
/// with a message that names the reason.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ProbesTamperSpec
{
    private static readonly ProbeSecret Key = NewSecret();
    private static readonly ProbeFileLimits Limits = ProbeFileLimits.Default;
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static ProbesRejectedException Rejected(byte[] file, uint? uid = null, ProbeSecret? key = null, DateTimeOffset? now = null, bool acceptUnbound = false) =>
        Assert.Throws<ProbesRejectedException>(() => ProbesDocument.Verify(file, key ?? Key, Limits, now ?? Now, uid ?? AliceUid, "dcalice", acceptUnbound));

    /// <summary>Decompress, edit the JSON with another library, write it plain: a re-packed document.</summary>
    private static byte[] Repack(byte[] file, Action<JsonObject> edit)
    {
        var doc = JsonNode.Parse(ProbesFile.Decompress(file, Limits))!.AsObject();
        edit(doc);
        return Encoding.UTF8.GetBytes(doc.ToJsonString());
    }

    /// <summary>A document as older upstream signers write it (no uid, no expiry), correctly checksummed.</summary>
    private static byte[] UnboundFor(string user, ProbeSecret key)
    {
        var summary = (JsonCObject)JsonCReader.Parse(Encoding.UTF8.GetBytes($$"""{"config_file_path":"/home/{{user}}/c.yaml","hostname":"login1","user":"{{user}}","install_user":"datacrumbs"}"""));
        var categories = (JsonCArray)JsonCReader.Parse(Encoding.UTF8.GetBytes(SampleProbes));
        var checksum = Convert.ToHexStringLower(key.Mac(ProbesDocument.SignedPayload(summary, categories)));
        return Encoding.UTF8.GetBytes($$"""{"summary":{{Encoding.UTF8.GetString(JsonCPlain.Serialize(summary))}},"categories":{{SampleProbes}},"checksum_algorithm":"hmac-sha256","checksum":"{{checksum}}"}""");
    }

    [Fact]
    public void A_signed_file_has_the_runtimes_shape_and_the_schema_2_binding_inside_summary()
    {
        var file = SignFor(AliceUid, "dcalice", Key);
        var doc = JsonNode.Parse(ProbesFile.Decompress(file, Limits))!.AsObject();
        Assert.Equal(["summary", "categories", "checksum_algorithm", "checksum"], doc.Select(m => m.Key));
        Assert.Equal("hmac-sha256", (string?)doc["checksum_algorithm"]);
        Assert.Matches("^[0-9a-f]{64}$", (string?)doc["checksum"]);
        var summary = doc["summary"]!.AsObject();
        Assert.Equal(["uid", "user", "schema_version", "expires_at", "issued_at"], summary.Select(m => m.Key));
        Assert.Equal((AliceUid, "dcalice", "2"), ((uint)summary["uid"]!, (string?)summary["user"], (string?)summary["schema_version"]));
        Assert.Equal((long)summary["issued_at"]! + 3600, (long)summary["expires_at"]!);

        var verified = ProbesDocument.Verify(file, Key, Limits, Now, AliceUid);
        Assert.Equal(["sys", "ior"], verified.Categories().Select(p => p.Name));
        Assert.Equal(["include_offsets"], verified.Categories()[1].OtherFields); // fields we do not know survive signing
    }

    [Fact]
    public void Any_single_flipped_byte_is_rejected_or_changes_nothing_the_tracer_gets()
    {
        var file = SignFor(AliceUid, "dcalice", Key);
        var original = ProbesDocument.Verify(file, Key, Limits, Now, AliceUid).CopyJson;
        var rejected = 0;
        Gen.Select(Gen.Int[0, file.Length - 1], Gen.Byte[1, 255]).Sample((position, mask) =>
        {
            var tampered = (byte[])file.Clone();
            tampered[position] ^= mask;
            try
            {
                // A flip in the gzip header's unused fields, the CRC or deflate's padding bits leaves the
                // signed content, and so the verified copy, byte for byte the same.
                Assert.Equal(original, ProbesDocument.Verify(tampered, Key, Limits, Now, AliceUid).CopyJson);
            }
            catch (ProbesRejectedException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
                Interlocked.Increment(ref rejected);
            }
        }, iter: 2000, threads: 1);
        Assert.True(rejected > 1800, $"only {rejected} of 2000 flips were rejected");
    }

    [Fact]
    public void A_repacked_document_naming_another_user_fails_the_checksum()
    {
        var forged = Repack(SignFor(BobUid, "dcbob", Key), d => { d["summary"]!["uid"] = AliceUid; d["summary"]!["user"] = "dcalice"; });
        var e = Rejected(forged);
        Assert.Equal(ProbeRejection.BadSignature, e.Reason);
        Assert.StartsWith("probe file checksum verification failed", e.Message);
    }

    [Fact]
    public void A_repacked_document_with_an_added_category_fails_the_checksum()
    {
        var forged = Repack(SignFor(AliceUid, "dcalice", Key),
            d => d["categories"]!.AsArray().Add(JsonNode.Parse("""{"type":1,"name":"k","functions":["vfs_read"]}""")));
        Assert.Equal(ProbeRejection.BadSignature, Rejected(forged).Reason);
    }

    [Fact]
    public void Reordering_members_fails_the_checksum_because_json_c_keeps_the_file_order()
    {
        var reordered = Repack(SignFor(AliceUid, "dcalice", Key), d =>
        {
            var summary = d["summary"]!.AsObject();
            var uid = summary["uid"]!.DeepClone();
            summary.Remove("uid");
            summary["uid"] = uid;
        });
        Assert.Equal(ProbeRejection.BadSignature, Rejected(reordered).Reason);
    }

    [Fact]
    public void Rewriting_the_same_content_with_other_whitespace_and_escapes_plain_or_gzip_keeps_it_valid()
    {
        var plain = Repack(SignFor(AliceUid, "dcalice", Key), _ => { });
        var spaced = Encoding.UTF8.GetBytes(JsonNode.Parse(plain)!.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        foreach (var file in new[] { plain, spaced, ProbesFile.Compress(spaced) })
            Assert.Equal(AliceUid, ProbesDocument.Verify(file, Key, Limits, Now, AliceUid).Binding.Uid);
    }

    [Fact]
    public void Unsigned_top_level_members_are_ignored_and_never_reach_the_verified_copy()
    {
        var extra = Repack(SignFor(AliceUid, "dcalice", Key), d => d["note"] = "not covered by the checksum");
        var copy = Encoding.UTF8.GetString(ProbesDocument.Verify(extra, Key, Limits, Now, AliceUid).CopyJson);
        Assert.DoesNotContain("note", copy);
        Assert.StartsWith("{\"summary\":{\"uid\":", copy);
    }

    [Fact]
    public void Another_users_file_is_rejected_naming_both_users()
    {
        var e = Rejected(SignFor(BobUid, "dcbob", Key), uid: AliceUid);
        Assert.Equal(ProbeRejection.WrongUser, e.Reason);
        Assert.Equal($"issued to uid {BobUid} (dcbob), job user is {AliceUid} (dcalice)", e.Message);
    }

    [Fact]
    public void An_expired_file_is_rejected_with_its_expiry()
    {
        var issued = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var e = Rejected(SignFor(AliceUid, "dcalice", Key, issued, TimeSpan.FromHours(1)), now: issued.AddHours(1));
        Assert.Equal(ProbeRejection.Expired, e.Reason);
        Assert.StartsWith("expired at 2025-01-02T04:04:05Z (1735790645)", e.Message);
    }

    [Fact]
    public void A_file_issued_in_the_future_is_rejected()
    {
        var e = Rejected(SignFor(AliceUid, "dcalice", Key, Now.AddHours(1)));
        Assert.Equal(ProbeRejection.Expired, e.Reason);
        Assert.Contains("in the future", e.Message);
    }

    [Fact]
    public void Another_sites_secret_does_not_match()
    {
        var e = Rejected(SignFor(AliceUid, "dcalice", NewSecret()));
        Assert.Equal(ProbeRejection.BadSignature, e.Reason);
        Assert.Equal("probe file checksum verification failed (changed after signing, or signed with another site secret)", e.Message);
    }

    [Fact]
    public void Without_checksum_or_with_another_algorithm_the_file_is_not_signed()
    {
        var signed = SignFor(AliceUid, "dcalice", Key);
        var e = Rejected(Repack(signed, d => d.Remove("checksum")));
        Assert.Equal(ProbeRejection.NotSigned, e.Reason);
        Assert.StartsWith("not signed: probe file is missing checksum", e.Message);
        Assert.Equal("probe file checksum_algorithm is not 'hmac-sha256'", Rejected(Repack(signed, d => d["checksum_algorithm"] = "sha256")).Message);
    }

    [Fact]
    public void An_uppercase_checksum_is_refused_because_the_runtime_compares_lowercase_text()
    {
        var upper = Repack(SignFor(AliceUid, "dcalice", Key), d => d["checksum"] = ((string)d["checksum"]!).ToUpperInvariant());
        Assert.Equal("probe file checksum is not 64 lowercase hex characters (HMAC-SHA256)", Rejected(upper).Message);
    }

    [Theory]
    [InlineData("""{"categories":[]}""", "probe file is missing summary object")]
    [InlineData("""{"summary":[],"categories":[]}""", "probe file is missing summary object")]
    [InlineData("""{"summary":{},"categories":{}}""", "probe file is missing categories array")]
    [InlineData("""[1,2]""", "failed to parse probe file (the document is not a JSON object)")]
    [InlineData("""plain text""", "failed to parse probe file (")]
    [InlineData("""{"summary":{},"categories":[]} trailing""", "failed to parse probe file (")]
    public void The_runtimes_shape_is_required_with_its_messages(string json, string message) =>
        Assert.StartsWith(message, Rejected(Encoding.UTF8.GetBytes(json)).Message);

    [Fact]
    public void An_empty_file_fails_to_read()
    {
        Assert.StartsWith("failed to read probe file", Rejected([]).Message);
        using var empty = new MemoryStream();
        using (new GZipStream(empty, CompressionLevel.Optimal, leaveOpen: true)) { }
        Assert.StartsWith("failed to read probe file", Rejected(empty.ToArray()).Message);
    }

    [Fact]
    public void A_file_bound_to_a_uid_must_be_schema_2_with_an_integer_expiry()
    {
        // Correctly checksummed, so only the binding rules can refuse them.
        byte[] Resigned(Action<JsonObject> edit)
        {
            var doc = JsonNode.Parse(ProbesFile.Decompress(SignFor(AliceUid, "dcalice", Key), Limits))!.AsObject();
            edit(doc["summary"]!.AsObject());
            var summary = (JsonCObject)JsonCReader.Parse(Encoding.UTF8.GetBytes(doc["summary"]!.ToJsonString()));
            var categories = (JsonCArray)JsonCReader.Parse(Encoding.UTF8.GetBytes(doc["categories"]!.ToJsonString()));
            doc["checksum"] = Convert.ToHexStringLower(Key.Mac(ProbesDocument.SignedPayload(summary, categories)));
            return Encoding.UTF8.GetBytes(doc.ToJsonString());
        }
        Assert.Equal(AliceUid, ProbesDocument.Verify(Resigned(_ => { }), Key, Limits, Now, AliceUid).Binding.Uid);
        Assert.Equal("probe file schema version is not '2' ('1'); regenerate it", Rejected(Resigned(s => s["schema_version"] = "1")).Message);
        Assert.Equal("probe file summary is missing expires_at", Rejected(Resigned(s => s.Remove("expires_at"))).Message);
        Assert.Equal("malformed: summary.expires_at is not an integer (epoch seconds)", Rejected(Resigned(s => s["expires_at"] = "2099-01-01T00:00:00Z")).Message);
        Assert.Equal("malformed: summary.uid is not an integer uid", Rejected(Resigned(s => s["uid"] = "0")).Message);
    }

    [Fact]
    public void A_file_without_uid_is_refused_by_default_and_accepted_by_site_option_only_for_its_summary_user()
    {
        var unbound = UnboundFor("dcalice", Key);
        var e = Rejected(unbound);
        Assert.Equal(ProbeRejection.Unbound, e.Reason);
        Assert.Contains("Probes:AcceptFilesWithoutUid", e.Message);

        Assert.Null(ProbesDocument.Verify(unbound, Key, Limits, Now, AliceUid, "dcalice", acceptUnbound: true).Binding.Uid);
        var other = Rejected(UnboundFor("dcbob", Key), acceptUnbound: true);
        Assert.Equal(ProbeRejection.WrongUser, other.Reason);
        Assert.Equal("summary has no uid and its summary.user is 'dcbob', not the job's user 'dcalice'", other.Message);
    }

    [Fact]
    public void A_gzip_bomb_stops_at_the_decompression_bound()
    {
        using var bomb = new MemoryStream();
        using (var gzip = new GZipStream(bomb, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var spaces = new byte[1024 * 1024];
            Array.Fill(spaces, (byte)' ');
            for (var i = 0; i < 64; i++) gzip.Write(spaces); // 64 MiB of whitespace
        }
        var file = bomb.ToArray();
        Assert.True(file.Length < 1024 * 1024);
        var e = Rejected(file);
        Assert.Equal(ProbeRejection.DecompressedTooLarge, e.Reason);
        Assert.StartsWith("decompressed size exceeds 2 MiB", e.Message);
    }

    [Fact]
    public void A_huge_file_is_rejected_before_decompression()
    {
        var e = Rejected(new byte[5 * 1024 * 1024]);
        Assert.Equal(ProbeRejection.TooLarge, e.Reason);
        Assert.Equal("file is 5242880 bytes, more than the limit of 4 MiB", e.Message);
    }

    [Fact]
    public void A_truncated_gzip_file_is_refused()
    {
        // Like zlib's gzread, the inflater hands back what it got before the cut: the JSON is then incomplete.
        var e = Rejected(SignFor(AliceUid, "dcalice", Key)[..40]);
        Assert.Contains(e.Reason, new[] { ProbeRejection.NotGzip, ProbeRejection.Malformed });
    }

    [Fact]
    public void Verification_compares_checksums_in_constant_time()
    {
        // Code-level evidence (timing tests would be flaky): the only comparison of MACs is FixedTimeEquals.
        var source = File.ReadAllText(Path.Combine(RepoRoot(), "Messages/Probes/ProbesDocument.cs"));
        Assert.Contains("CryptographicOperations.FixedTimeEquals(secret.Mac(SignedPayload(summary, categories)), claimed)", source);
        Assert.DoesNotContain("checksum ==", source);
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "datacrumbs.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("datacrumbs.sln not found above the test binaries");
    }
}

using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Datacrumbs.Messages.Probes;
using static Datacrumbs.Specs.Probes.ProbeFixtures;

namespace Datacrumbs.Specs.Probes;

/// <summary>Every way a probes file can be wrong is refused, with a message that names the reason.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ProbesTamperSpec
{
    private static readonly ProbeKeyRing Keys = Ring(("site-2025", NewSecretBase64()));
    private static readonly ProbeFileLimits Limits = ProbeFileLimits.Default;
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static ProbesRejectedException Rejected(byte[] file, uint? uid = null, ProbeKeyRing? keys = null, DateTimeOffset? now = null) =>
        Assert.Throws<ProbesRejectedException>(() => ProbesDocument.Verify(file, keys ?? Keys, Limits, now ?? Now, uid ?? AliceUid, "dcalice"));

    /// <summary>Decompress, edit the JSON, compress again with the proper header: a re-packed payload.</summary>
    private static byte[] Repack(byte[] file, Action<JsonObject> edit)
    {
        var doc = JsonNode.Parse(ProbesFile.Decompress(file, Limits))!.AsObject();
        edit(doc);
        return ProbesFile.Compress(Encoding.UTF8.GetBytes(doc.ToJsonString()));
    }

    [Fact]
    public void A_signed_file_verifies_and_keeps_every_probe_field()
    {
        var verified = ProbesDocument.Verify(SignFor(AliceUid, "dcalice", Keys), Keys, Limits, Now, AliceUid);
        Assert.Equal((AliceUid, "dcalice", "site-2025"), (verified.Document.Uid, verified.Document.User, verified.Document.KeyId));
        Assert.Equal(["sys", "ior"], verified.Probes.Select(p => p.Name));
        Assert.Equal(["include_offsets"], verified.Probes[1].OtherFields); // unknown fields survive signing
        Assert.Equal("/usr/bin/ior", verified.Probes[1].BinaryPath);
    }

    [Fact]
    public void Any_single_flipped_byte_is_rejected_or_changes_nothing_the_tracer_gets()
    {
        var file = SignFor(AliceUid, "dcalice", Keys);
        var original = ProbesDocument.Verify(file, Keys, Limits, Now, AliceUid).CanonicalJson;
        var rejected = 0;
        Gen.Select(Gen.Int[0, file.Length - 1], Gen.Byte[1, 255]).Sample((position, mask) =>
        {
            var tampered = (byte[])file.Clone();
            tampered[position] ^= mask;
            try
            {
                // Only deflate's final padding bits are ignored by every inflater; such a flip leaves the
                // signed content, and so the verified copy, byte for byte the same.
                Assert.Equal(original, ProbesDocument.Verify(tampered, Keys, Limits, Now, AliceUid).CanonicalJson);
            }
            catch (ProbesRejectedException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
                Interlocked.Increment(ref rejected);
            }
        }, iter: 2000, threads: 1);
        Assert.True(rejected > 1900, $"only {rejected} of 2000 flips were rejected");
    }

    [Fact]
    public void A_repacked_payload_naming_another_user_fails_the_signature()
    {
        var forged = Repack(SignFor(BobUid, "dcbob", Keys), d => { d["uid"] = AliceUid; d["user"] = "dcalice"; });
        Assert.Equal("signature does not match (key site-2025)", Rejected(forged).Message);
        Assert.Equal(ProbeRejection.BadSignature, Rejected(forged).Reason);
    }

    [Fact]
    public void A_repacked_payload_with_an_added_probe_fails_the_signature()
    {
        var forged = Repack(SignFor(AliceUid, "dcalice", Keys),
            d => d["probes"]!.AsArray().Add(JsonNode.Parse("""{"type":1,"name":"k","functions":["vfs_read"]}""")));
        Assert.Equal(ProbeRejection.BadSignature, Rejected(forged).Reason);
    }

    [Fact]
    public void Repacking_without_changing_the_content_keeps_the_signature_valid_because_it_covers_the_canonical_form()
    {
        var repacked = Repack(SignFor(AliceUid, "dcalice", Keys), _ => { });
        Assert.Equal(AliceUid, ProbesDocument.Verify(repacked, Keys, Limits, Now, AliceUid).Document.Uid);
    }

    [Fact]
    public void Another_users_file_is_rejected_naming_both_users()
    {
        var e = Rejected(SignFor(BobUid, "dcbob", Keys), uid: AliceUid);
        Assert.Equal(ProbeRejection.WrongUser, e.Reason);
        Assert.Equal($"issued to uid {BobUid} (dcbob), job user is {AliceUid} (dcalice)", e.Message);
    }

    [Fact]
    public void An_expired_file_is_rejected_with_its_expiry()
    {
        var issued = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var e = Rejected(SignFor(AliceUid, "dcalice", Keys, issued, TimeSpan.FromHours(1)), now: issued.AddHours(1));
        Assert.Equal(ProbeRejection.Expired, e.Reason);
        Assert.StartsWith("expired at 2025-01-02T04:04:05Z", e.Message);
    }

    [Fact]
    public void A_file_issued_in_the_future_is_rejected()
    {
        var e = Rejected(SignFor(AliceUid, "dcalice", Keys, Now.AddHours(1)));
        Assert.Equal(ProbeRejection.Expired, e.Reason);
        Assert.Contains("in the future", e.Message);
    }

    [Fact]
    public void An_unknown_key_is_rejected_naming_it()
    {
        var other = Ring(("lab-key", NewSecretBase64()));
        var e = Rejected(SignFor(AliceUid, "dcalice", other));
        Assert.Equal(ProbeRejection.UnknownKey, e.Reason);
        Assert.StartsWith("unknown key id 'lab-key'", e.Message);
    }

    [Fact]
    public void The_same_key_id_with_another_secret_does_not_match()
    {
        var impostor = Ring(("site-2025", NewSecretBase64()));
        Assert.Equal("signature does not match (key site-2025)", Rejected(SignFor(AliceUid, "dcalice", impostor)).Message);
    }

    [Fact]
    public void An_unsigned_file_is_rejected_as_not_signed()
    {
        var unsigned = Repack(SignFor(AliceUid, "dcalice", Keys), d => d.Remove("signature"));
        var e = Rejected(unsigned);
        Assert.Equal(ProbeRejection.NotSigned, e.Reason);
        Assert.StartsWith("not signed", e.Message);
        Assert.Equal(ProbeRejection.NotSigned, Rejected(Repack(unsigned, d => d["signature"] = "")).Reason);
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
        file[8] = 0; file[9] = 0xff; // the header our writer uses, so only the bound can stop it
        Assert.True(file.Length < 1024 * 1024);
        var e = Rejected(file);
        Assert.Equal(ProbeRejection.DecompressedTooLarge, e.Reason);
        Assert.StartsWith("decompressed size exceeds 16 MiB", e.Message);
    }

    [Fact]
    public void A_huge_file_is_rejected_before_decompression()
    {
        var e = Rejected(new byte[5 * 1024 * 1024]);
        Assert.Equal(ProbeRejection.TooLarge, e.Reason);
        Assert.Equal("file is 5242880 bytes, more than the limit of 4 MiB", e.Message);
    }

    [Theory]
    [InlineData("plain text, not gzip at all")]
    [InlineData("")]
    public void Not_gzip_is_rejected(string content) =>
        Assert.Equal(ProbeRejection.NotGzip, Rejected(Encoding.UTF8.GetBytes(content)).Reason);

    [Fact]
    public void Trailing_garbage_after_the_gzip_member_is_rejected()
    {
        var file = SignFor(AliceUid, "dcalice", Keys).Concat("garbage"u8.ToArray()).ToArray();
        Assert.Equal(ProbeRejection.NotGzip, Rejected(file).Reason);
    }

    [Fact]
    public void After_rotation_files_signed_with_the_old_key_still_verify_and_new_files_use_the_new_key()
    {
        var old = NewSecretBase64();
        var before = Ring(("site-2025", old));
        var after = Ring(("site-2026", NewSecretBase64()), ("site-2025", old));
        var oldFile = SignFor(AliceUid, "dcalice", before);
        Assert.Equal("site-2025", ProbesDocument.Verify(oldFile, after, Limits, Now, AliceUid).Document.KeyId);
        Assert.Equal("site-2026", ProbesDocument.Verify(SignFor(AliceUid, "dcalice", after), after, Limits, Now, AliceUid).Document.KeyId);
        // Once the old key is retired, its files stop verifying.
        Assert.Equal(ProbeRejection.UnknownKey, Rejected(oldFile, keys: Ring(("site-2026", NewSecretBase64()))).Reason);
    }

    [Fact]
    public void Verification_compares_signatures_in_constant_time()
    {
        // Code-level evidence (timing tests would be flaky): the only comparison of MACs is FixedTimeEquals.
        var source = File.ReadAllText(Path.Combine(RepoRoot(), "Messages/Probes/ProbesDocument.cs"));
        Assert.Contains("CryptographicOperations.FixedTimeEquals(expected, claimed)", source);
        Assert.DoesNotContain("SequenceEqual(claimed", source);
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "datacrumbs.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("datacrumbs.sln not found above the test binaries");
    }
}

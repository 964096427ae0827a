using System.Security.Cryptography;
using System.Text.Json;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Messages.Probes;

/// <summary>A probes file that passed every check, and its canonical JSON (what a verified copy holds).</summary>
public sealed record VerifiedProbes(SignedProbes Document, IReadOnlyList<ProbeSpec> Probes, byte[] CanonicalJson)
{
    /// <summary>The bytes of a verified copy: the canonical document, gzip-compressed with the fixed header.</summary>
    public byte[] ToFile() => ProbesFile.Compress(CanonicalJson);
}

/// <summary>
/// Signing and verifying probes files. The signature is base64 HMAC-SHA256, keyed by the secret named
/// by <c>key_id</c>, over the canonical serialization (<see cref="CanonicalJson"/>) of the whole document
/// except its <c>signature</c> member. Comparison is constant-time (<see cref="CryptographicOperations.FixedTimeEquals"/>).
/// </summary>
public static class ProbesDocument
{
    public const string SignatureMember = "signature";
    private const int MacBytes = 32;

    /// <summary>Signs <paramref name="probes"/> (DataCrumbs' probe list) for one user; returns the document and the file bytes.</summary>
    public static (SignedProbes Document, byte[] File) Sign(JsonElement probes, uint uid, string user,
        DateTimeOffset issuedAt, TimeSpan validity, ProbeKeyRing keys)
    {
        using var canonicalProbes = JsonDocument.Parse(CanonicalJson.Serialize(probes), CanonicalJson.DocumentOptions);
        var unsigned = new SignedProbes
        {
            Format = SignedProbes.CurrentFormat,
            Uid = uid,
            User = user,
            IssuedAt = SignedProbes.FormatTimestamp(issuedAt),
            ExpiresAt = SignedProbes.FormatTimestamp(issuedAt + validity),
            KeyId = keys.CurrentKeyId,
            Probes = canonicalProbes.RootElement.Clone(),
        };
        using var body = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(unsigned, ProbesJson.Default.SignedProbes));
        if (!keys.TryMac(keys.CurrentKeyId, CanonicalJson.Serialize(body.RootElement, SignatureMember), out var mac))
            throw new InvalidOperationException("the current key is missing from the key ring");
        var signed = unsigned with { Signature = Convert.ToBase64String(mac) };
        using var whole = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(signed, ProbesJson.Default.SignedProbes));
        return (signed, ProbesFile.Compress(CanonicalJson.Serialize(whole.RootElement)));
    }

    /// <summary>
    /// Checks a probes file completely: sizes, gzip, JSON, signature, key, expiry and, when
    /// <paramref name="expectedUid"/> is given, the user it was issued to. Throws
    /// <see cref="ProbesRejectedException"/> naming the first reason it fails.
    /// </summary>
    public static VerifiedProbes Verify(ReadOnlySpan<byte> file, ProbeKeyRing keys, ProbeFileLimits limits,
        DateTimeOffset now, uint? expectedUid, string? expectedUserName = null)
    {
        var json = ProbesFile.Decompress(file, limits);
        using var doc = ParseJson(json);
        var root = doc.RootElement;

        if (!root.TryGetProperty(SignatureMember, out var signatureElement) || signatureElement.ValueKind == JsonValueKind.Null
            || (signatureElement.ValueKind == JsonValueKind.String && signatureElement.GetString() is ""))
            throw new ProbesRejectedException(ProbeRejection.NotSigned, "not signed (the file has no signature; sign it with 'datacrumbsctl probes sign')");
        if (signatureElement.ValueKind != JsonValueKind.String)
            throw new ProbesRejectedException(ProbeRejection.Malformed, "malformed: \"signature\" is not a string");

        if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.Number)
            throw new ProbesRejectedException(ProbeRejection.Malformed, "malformed: no \"format\" version");
        if (!format.TryGetInt32(out var version) || version != SignedProbes.CurrentFormat)
            throw new ProbesRejectedException(ProbeRejection.UnsupportedFormat,
                $"format version {JobId.Printable(format.GetRawText())} is not supported (this build reads {SignedProbes.CurrentFormat})");

        if (!root.TryGetProperty("key_id", out var keyIdElement) || keyIdElement.ValueKind != JsonValueKind.String)
            throw new ProbesRejectedException(ProbeRejection.Malformed, "malformed: no \"key_id\"");
        var keyId = keyIdElement.GetString()!;
        if (!keys.Contains(keyId))
            throw new ProbesRejectedException(ProbeRejection.UnknownKey,
                $"unknown key id '{JobId.Printable(keyId)}' (this key file has: {string.Join(", ", keys.KeyIds)})");

        byte[] signedBytes, canonicalWhole;
        try
        {
            signedBytes = CanonicalJson.Serialize(root, SignatureMember);
            canonicalWhole = CanonicalJson.Serialize(root);
        }
        catch (FormatException e)
        {
            throw new ProbesRejectedException(ProbeRejection.Malformed, $"malformed: {e.Message}", e);
        }

        var claimed = new byte[MacBytes];
        if (!Convert.TryFromBase64String(signatureElement.GetString()!, claimed, out var claimedLength) || claimedLength != MacBytes)
            throw new ProbesRejectedException(ProbeRejection.BadSignature, $"signature is not a base64 HMAC-SHA256 (key {keyId})");
        keys.TryMac(keyId, signedBytes, out var expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, claimed))
            throw new ProbesRejectedException(ProbeRejection.BadSignature, $"signature does not match (key {keyId})");

        // From here on the content is the signer's: malformed now means a signer bug, not an attack.
        var document = Deserialize(json);
        IReadOnlyList<ProbeSpec> probes;
        try { probes = ProbeSpec.ParseList(document.Probes); }
        catch (FormatException e) { throw new ProbesRejectedException(ProbeRejection.Malformed, $"malformed: {e.Message}", e); }

        if (!SignedProbes.TryParseTimestamp(document.ExpiresAt, out var expires) || !SignedProbes.TryParseTimestamp(document.IssuedAt, out var issued))
            throw new ProbesRejectedException(ProbeRejection.Malformed, "malformed: issued_at or expires_at is not a UTC time like 2025-06-01T12:00:00Z");
        if (now >= expires)
            throw new ProbesRejectedException(ProbeRejection.Expired,
                $"expired at {document.ExpiresAt} (now {SignedProbes.FormatTimestamp(now)}); sign the probes again");
        if (issued > now + limits.ClockSkew)
            throw new ProbesRejectedException(ProbeRejection.Expired,
                $"issued at {document.IssuedAt}, in the future (now {SignedProbes.FormatTimestamp(now)}); check the clocks of the signer and this node");

        if (expectedUid is { } uid && document.Uid != uid)
            throw new ProbesRejectedException(ProbeRejection.WrongUser,
                $"issued to uid {document.Uid} ({JobId.Printable(document.User)}), job user is {uid}{(expectedUserName is null ? "" : $" ({JobId.Printable(expectedUserName)})")}");

        return new VerifiedProbes(document, probes, canonicalWhole);
    }

    /// <summary>Reads a probes file without checking its signature (for <c>probes show</c>); sizes are still bounded.</summary>
    public static SignedProbes ReadUnverified(ReadOnlySpan<byte> file, ProbeFileLimits limits)
    {
        var json = ProbesFile.Decompress(file, limits);
        using var _ = ParseJson(json);
        return Deserialize(json);
    }

    private static JsonDocument ParseJson(byte[] json)
    {
        try
        {
            var doc = JsonDocument.Parse(json, CanonicalJson.DocumentOptions);
            if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
            doc.Dispose();
            throw new ProbesRejectedException(ProbeRejection.Malformed, "malformed: the document is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new ProbesRejectedException(ProbeRejection.Malformed, $"not valid JSON ({e.Message})", e);
        }
    }

    private static SignedProbes Deserialize(byte[] json)
    {
        try
        {
            var document = JsonSerializer.Deserialize(json, ProbesJson.Default.SignedProbes)
                           ?? throw new JsonException("the document is null");
            return document with { Probes = document.Probes.Clone() };
        }
        catch (JsonException e)
        {
            throw new ProbesRejectedException(ProbeRejection.Malformed, $"malformed: {e.Message}", e);
        }
    }
}

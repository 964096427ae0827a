using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Datacrumbs.Messages.Probes.JsonC;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Messages.Probes;

/// <summary>A probes file that passed every check: its binding, its parsed document, and the bytes a verified copy holds.</summary>
public sealed record VerifiedProbes(ProbeBinding Binding, JsonCObject Document, byte[] CopyJson)
{
    /// <summary>The verified copy: only the four members the runtime reads, json-c PLAIN (a fixed point of json-c's parser), gzip.</summary>
    public byte[] ToFile() => ProbesFile.Compress(CopyJson);

    /// <summary>The categories for people and policies; throws <see cref="FormatException"/> when one is not the shape ProbeSpec reads.</summary>
    public IReadOnlyList<ProbeSpec> Categories() => ProbesDocument.Categories(Document);
}

/// <summary>
/// The DataCrumbs runtime's signed probe document (docs/probes.rst; upstream's probe_file.h):
/// <c>{"summary":{...},"categories":[...],"checksum_algorithm":"hmac-sha256","checksum":"&lt;hex&gt;"}</c>,
/// gzip or plain, where checksum = lowercase hex HMAC-SHA256, keyed with the site secret, of json-c's
/// PLAIN serialization of the new object <c>{summary, categories, "checksum_algorithm":"hmac-sha256"}</c>
/// built from the parsed file. We check it exactly as the runtime does, plus upstream's schema 2
/// binding (summary.uid, summary.expires_at) which we always enforce, and compare in constant time.
/// </summary>
public static class ProbesDocument
{
    public const string Algorithm = "hmac-sha256";
    private const int MacBytes = 32;

    /// <summary>Members of summary the signer sets; a request that brings its own is refused.</summary>
    public static readonly IReadOnlySet<string> ReservedSummaryMembers = new HashSet<string> { "uid", "user", "schema_version", "expires_at", "issued_at" };

    /// <summary>
    /// Signs <paramref name="categories"/> for one user: summary = the caller's own members (if any),
    /// then uid, user, schema_version "2", expires_at, issued_at. Returns the binding and the file (gzip).
    /// </summary>
    public static (ProbeBinding Binding, byte[] File) Sign(JsonCArray categories, JsonCObject? clientSummary, uint uid, string user,
        DateTimeOffset issuedAt, TimeSpan validity, ProbeSecret secret)
    {
        var (binding, json) = SignDocument(categories, clientSummary, uid, user, issuedAt, validity, secret);
        return (binding, ProbesFile.Compress(json));
    }

    /// <summary>
    /// As <see cref="Sign"/>, but the document as json-c PLAIN text, not gzip: what upstream's probe
    /// manager returns as <c>result.document</c> (its client gzips it).
    /// </summary>
    public static (ProbeBinding Binding, byte[] Json) SignDocument(JsonCArray categories, JsonCObject? clientSummary, uint uid, string user,
        DateTimeOffset issuedAt, TimeSpan validity, ProbeSecret secret)
    {
        var summary = new JsonCObject();
        foreach (var (name, value) in clientSummary?.Members ?? [])
        {
            if (ReservedSummaryMembers.Contains(name)) throw new ArgumentException($"summary.{name} is set by the signer", nameof(clientSummary));
            summary.Set(name, value);
        }
        var issued = issuedAt.ToUnixTimeSeconds();
        var expires = (issuedAt + validity).ToUnixTimeSeconds();
        summary.Set("uid", new JsonCInteger(uid));
        summary.Set("user", new JsonCString(user));
        summary.Set("schema_version", new JsonCString(ProbeBinding.SchemaVersionValue));
        summary.Set("expires_at", new JsonCInteger(expires));
        summary.Set("issued_at", new JsonCInteger(issued));

        var document = new JsonCObject();
        document.Set("summary", summary);
        document.Set("categories", categories);
        document.Set("checksum_algorithm", new JsonCString(Algorithm));
        document.Set("checksum", new JsonCString(Convert.ToHexStringLower(secret.Mac(SignedPayload(summary, categories)))));
        return (new ProbeBinding(uid, user, ProbeBinding.SchemaVersionValue, issued, expires), JsonCPlain.Serialize(document));
    }

    /// <summary>The bytes the checksum covers: json-c PLAIN of {summary, categories, checksum_algorithm}, in that order.</summary>
    public static byte[] SignedPayload(JsonCObject summary, JsonCArray categories)
    {
        var payload = new JsonCObject();
        payload.Set("summary", summary);
        payload.Set("categories", categories);
        payload.Set("checksum_algorithm", new JsonCString(Algorithm));
        return JsonCPlain.Serialize(payload);
    }

    /// <summary>
    /// Checks a probes file completely, cheapest first: stored size, decompressed size, parse (bounded
    /// depth), shape, algorithm, checksum (constant time), then the binding: schema 2, expiry, and when
    /// <paramref name="expectedUid"/> is given, the user. A document without summary.uid (older upstream
    /// signers) is refused unless <paramref name="acceptUnbound"/>, and then only when its summary.user
    /// names <paramref name="expectedUserName"/>. Throws <see cref="ProbesRejectedException"/> naming the first failure.
    /// </summary>
    public static VerifiedProbes Verify(ReadOnlySpan<byte> file, ProbeSecret secret, ProbeFileLimits limits,
        DateTimeOffset now, uint? expectedUid, string? expectedUserName = null, bool acceptUnbound = false)
    {
        var (root, summary, categories, checksum) = ReadShape(file, limits);
        if (checksum is null)
            throw new ProbesRejectedException(ProbeRejection.NotSigned, "not signed: probe file is missing checksum (sign it with 'datacrumbsctl probes sign')");
        if (!IsLowerHex(checksum))
            throw new ProbesRejectedException(ProbeRejection.BadSignature, "probe file checksum is not 64 lowercase hex characters (HMAC-SHA256)");
        var claimed = Convert.FromHexString(checksum);
        if (!CryptographicOperations.FixedTimeEquals(secret.Mac(SignedPayload(summary, categories)), claimed))
            throw new ProbesRejectedException(ProbeRejection.BadSignature, "probe file checksum verification failed (changed after signing, or signed with another site secret)");

        // From here on the content is the signer's.
        var binding = ProbeBinding.From(summary, out var problem);
        if (problem is not null) throw new ProbesRejectedException(ProbeRejection.Malformed, $"malformed: {problem}");
        if (binding.Uid is null)
        {
            if (!acceptUnbound)
                throw new ProbesRejectedException(ProbeRejection.Unbound,
                    "summary has no uid: the file is not bound to a user (made by an older DataCrumbs signer). Sign it again with 'datacrumbsctl probes sign', or let the site accept such files bound by summary.user (daemon setting Probes:AcceptFilesWithoutUid)");
            if (expectedUserName is not null && binding.User != expectedUserName)
                throw new ProbesRejectedException(ProbeRejection.WrongUser,
                    $"summary has no uid and its summary.user is {(binding.User is null ? "missing" : $"'{UntrustedText.Printable(binding.User)}'")}, not the job's user '{UntrustedText.Printable(expectedUserName)}'");
        }
        else
        {
            if (binding.SchemaVersion != ProbeBinding.SchemaVersionValue)
                throw new ProbesRejectedException(ProbeRejection.Malformed, $"probe file schema version is not '2' ({(binding.SchemaVersion is null ? "missing" : $"'{UntrustedText.Printable(binding.SchemaVersion)}'")}); regenerate it");
            if (binding.ExpiresAt is not { } expires)
                throw new ProbesRejectedException(ProbeRejection.Malformed, "probe file summary is missing expires_at");
            var nowSeconds = now.ToUnixTimeSeconds();
            if (nowSeconds >= expires)
                throw new ProbesRejectedException(ProbeRejection.Expired,
                    $"expired at {ProbeBinding.Describe(expires)} (now {ProbeBinding.Describe(nowSeconds)}); sign the probes again");
            if (binding.IssuedAt is { } issued && issued > (now + limits.ClockSkew).ToUnixTimeSeconds())
                throw new ProbesRejectedException(ProbeRejection.Expired,
                    $"issued at {ProbeBinding.Describe(issued)}, in the future (now {ProbeBinding.Describe(nowSeconds)}); check the clocks of the signer and this node");
            if (expectedUid is { } uid && binding.Uid != uid)
                throw new ProbesRejectedException(ProbeRejection.WrongUser,
                    $"issued to uid {binding.Uid}{(binding.User is null ? "" : $" ({UntrustedText.Printable(binding.User)})")}, job user is {uid}{(expectedUserName is null ? "" : $" ({UntrustedText.Printable(expectedUserName)})")}");
        }

        var copy = new JsonCObject();
        copy.Set("summary", summary);
        copy.Set("categories", categories);
        copy.Set("checksum_algorithm", new JsonCString(Algorithm));
        copy.Set("checksum", new JsonCString(checksum));
        return new VerifiedProbes(binding, root, JsonCPlain.Serialize(copy));
    }

    /// <summary>Reads a probes file without checking its checksum (for <c>probes show</c>); sizes are still bounded.</summary>
    public static (ProbeBinding Binding, JsonCObject Document, bool HasChecksum) ReadUnverified(ReadOnlySpan<byte> file, ProbeFileLimits limits)
    {
        var (root, summary, _, checksum) = ReadShape(file, limits);
        return (ProbeBinding.From(summary, out _), root, checksum is not null);
    }

    /// <summary>The categories as <see cref="ProbeSpec"/>s; throws <see cref="FormatException"/>.</summary>
    public static IReadOnlyList<ProbeSpec> Categories(JsonCObject document)
    {
        if (document["categories"] is not JsonCArray categories) throw new FormatException("no categories array");
        using var parsed = JsonDocument.Parse(JsonCPlain.Serialize(categories));
        return ProbeSpec.ParseList(parsed.RootElement);
    }

    /// <summary>Decompress, parse, and check the runtime's shape; the messages are the runtime's where it has one.</summary>
    private static (JsonCObject Root, JsonCObject Summary, JsonCArray Categories, string? Checksum) ReadShape(ReadOnlySpan<byte> file, ProbeFileLimits limits)
    {
        var json = ProbesFile.Decompress(file, limits);
        JsonCValue parsed;
        try { parsed = JsonCReader.Parse(json, limits.MaxJsonValues); }
        catch (JsonCValueLimitException e)
        {
            throw new ProbesRejectedException(ProbeRejection.TooLarge,
                $"the document has more JSON values than the limit of {e.Limit} (far more probes than any signer accepts; the node stopped parsing there)", e);
        }
        catch (FormatException e) { throw new ProbesRejectedException(ProbeRejection.Malformed, $"failed to parse probe file ({e.Message})", e); }
        if (parsed is not JsonCObject root)
            throw new ProbesRejectedException(ProbeRejection.Malformed, "failed to parse probe file (the document is not a JSON object)");
        if (root["summary"] is not JsonCObject summary)
            throw new ProbesRejectedException(ProbeRejection.Malformed, "probe file is missing summary object");
        if (root["categories"] is not JsonCArray categories)
            throw new ProbesRejectedException(ProbeRejection.Malformed, "probe file is missing categories array");
        string? checksum = null;
        switch (root["checksum"])
        {
            case null: break;
            case JsonCString s: checksum = s.Value; break;
            default: throw new ProbesRejectedException(ProbeRejection.Malformed, "probe file checksum is not a string");
        }
        if (checksum is not null || root["checksum_algorithm"] is not null)
        {
            if (root["checksum_algorithm"] is not JsonCString { Value: Algorithm })
                throw new ProbesRejectedException(ProbeRejection.NotSigned, $"probe file checksum_algorithm is not '{Algorithm}'");
        }
        return (root, summary, categories, checksum);
    }

    private static bool IsLowerHex(string s) => s.Length == MacBytes * 2 && s.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}

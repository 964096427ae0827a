using System.Text;
using System.Text.Json;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Probes.JsonC;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Signer;

/// <summary>
/// Who asks for a signature, as a transport vouches for it: the kernel (SO_PEERCRED) on the Unix
/// socket, munged (the credential's uid) over TCP. Never what the request says.
/// </summary>
/// <param name="Description">How the log names the caller, starting "uid N (name)".</param>
public sealed record Caller(uint Uid, string Name, IReadOnlySet<uint> Groups, string Description);

/// <summary>What the signer decided on one request: signed (the document, json-c PLAIN text), or why not.</summary>
public sealed record SigningDecision(SignStatus Status, string Message, ProbeBinding? Binding = null, byte[]? DocumentJson = null);

/// <summary>
/// The one place a signature is decided, whatever the transport: the probe list and summary as json-c
/// reads them, checked against the format and the site policy, then signed for the caller. Every
/// decision is one log line.
/// </summary>
public sealed class ProbeSigning(SignerConfig config, ProbeSecret secret, TimeProvider time, TextWriter log)
{
    private readonly HashSet<uint> _customGids = config.Policy.ResolveCustomGroups();

    /// <summary>
    /// json-c's tree of a request's JSON text; deeper than json-c reads is parsed (bounded at 64) so
    /// that <see cref="Decide"/> can say which member is too deep. Throws <see cref="FormatException"/>.
    /// </summary>
    public static JsonCValue Parse(string json) => JsonCReader.Parse(Encoding.UTF8.GetBytes(json), maxDepth: 64);

    public SigningDecision Decide(Caller caller, JsonCValue categoriesTree, JsonCValue? summaryTree)
    {
        IReadOnlyList<ProbeSpec> probes;
        JsonCArray categories;
        JsonCObject? summary = null;
        int plainBytes;
        try
        {
            CheckDepth(categoriesTree, "the probe list");
            if (summaryTree is not null) CheckDepth(summaryTree, "summary");
            var plainCategories = JsonCPlain.Serialize(categoriesTree);
            using (var parsed = JsonDocument.Parse(plainCategories))
                probes = ProbeSpec.ParseList(parsed.RootElement);
            categories = (JsonCArray)categoriesTree; // ParseList refused anything but an array
            for (var i = 0; i < probes.Count; i++)
                if (probes[i].UndefinedFields.FirstOrDefault() is { } field)
                    throw new FormatException($"probe {i} ({UntrustedText.Printable(probes[i].Name)}): \"{UntrustedText.Printable(field)}\" is not a field of the DataCrumbs probe format (it defines {string.Join(", ", ProbeSpec.FormatFields)})");
            plainBytes = plainCategories.Length;
            if (summaryTree is not null)
            {
                summary = summaryTree as JsonCObject ?? throw new FormatException("\"summary\" must be a JSON object");
                if (summary.Members.FirstOrDefault(m => ProbesDocument.ReservedSummaryMembers.Contains(m.Key)) is { Key: { } reserved })
                    throw new FormatException($"summary.{UntrustedText.Printable(reserved)} is set by the signer, not by the request");
                plainBytes += JsonCPlain.Serialize(summary).Length;
            }
        }
        catch (FormatException e) { return Refuse(caller, SignStatus.BadRequest, e.Message); }

        if (config.Policy.Check(probes, plainBytes, caller.Groups, _customGids) is { } refusal)
            return Refuse(caller, SignStatus.Refused, refusal);

        var (binding, document) = ProbesDocument.SignDocument(categories, summary, caller.Uid, caller.Name, time.GetUtcNow(), config.Policy.Validity, secret);
        var functions = probes.Sum(p => p.Functions.Count);
        var until = ProbeBinding.Describe(binding.ExpiresAt);
        log.WriteLine($"signed {probes.Count} probes ({functions} functions) for {caller.Description}: expires {until}");
        return new SigningDecision(SignStatus.Signed,
            $"signed {probes.Count} probes ({functions} functions) for {caller.Name} (uid {caller.Uid}), valid until {until}", binding, document);
    }

    /// <summary>Logs and returns a refusal; for the transports' own refusals too, so every request has one line.</summary>
    public SigningDecision Refuse(Caller caller, SignStatus status, string reason) => Refuse(caller.Description, status, reason);

    public SigningDecision Refuse(string who, SignStatus status, string reason)
    {
        log.WriteLine($"refused {who}: {reason}");
        return new SigningDecision(status, reason);
    }

    /// <summary>
    /// A member of the file must be at most 31 levels deep: the file's root object adds one, and json-c
    /// (so the runtime, and our daemon) reads no deeper than 32.
    /// </summary>
    private static void CheckDepth(JsonCValue member, string what)
    {
        if (JsonCReader.Depth(member) > JsonCReader.MaxDepth - 1)
            throw new FormatException($"{what} is nested deeper than {JsonCReader.MaxDepth} levels in the signed file (json-c, so the DataCrumbs runtime, reads no deeper)");
    }
}

using System.Text.Json;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Messages.Probes;

/// <summary>
/// A read-only view of one entry of DataCrumbs' probe list, for policy checks and <c>probes show</c>.
/// The signed document keeps the entry itself as JSON, so fields this view does not know are never lost.
/// </summary>
/// <param name="Type">The probe type as text: DataCrumbs writes a number (<c>0</c>, <c>2</c>), a string is kept as it is.</param>
/// <param name="OtherFields">Names of the members beyond type, name, functions, binary_path and function_offsets.</param>
public sealed record ProbeSpec(string Type, string Name, IReadOnlyList<string> Functions, string? BinaryPath,
    bool HasFunctionOffsets, IReadOnlyList<string> OtherFields)
{
    /// <summary>The file paths of this probe the runtime opens as root: binary_path, bpf_path, process_header.</summary>
    public IReadOnlyList<(string Field, string Path)> TargetPaths { get; init; } = [];

    private static readonly HashSet<string> KnownFields = ["type", "name", "functions", "binary_path", "function_offsets"];

    /// <summary>
    /// The members a category may have in the DataCrumbs format (upstream's probe manager refuses any
    /// other, validate_exact_keys): common, then UPROBE, USDT and CUSTOM ones, then the optional ones.
    /// </summary>
    public static readonly IReadOnlySet<string> FormatFields = new HashSet<string>(StringComparer.Ordinal)
    {
        "type", "name", "functions",
        "binary_path", "include_offsets", "provider",
        "bpf_path", "start_event_id", "process_header", "event_type",
        "function_arguments", "new_pid_functions",
    };

    /// <summary>Members this entry has that the format does not define (the signer refuses them).</summary>
    public IEnumerable<string> UndefinedFields => OtherFields.Append(HasFunctionOffsets ? "function_offsets" : null!)
        .Where(f => f is not null && !FormatFields.Contains(f));

    /// <summary>Reads a probe list; throws <see cref="FormatException"/> naming the entry and field that are wrong.</summary>
    public static IReadOnlyList<ProbeSpec> ParseList(JsonElement probes)
    {
        if (probes.ValueKind != JsonValueKind.Array)
            throw new FormatException($"the probe list must be a JSON array, not {Kind(probes)}");
        var list = new List<ProbeSpec>();
        var index = 0;
        foreach (var entry in probes.EnumerateArray()) list.Add(Parse(entry, index++));
        return list;
    }

    public static ProbeSpec Parse(JsonElement entry, int index)
    {
        // A lone surrogate (\ud800) passes System.Text.Json's reader and throws only when read as text.
        try { return ParseEntry(entry, index); }
        catch (InvalidOperationException e)
        {
            throw new FormatException($"probe {index}: a string is not valid Unicode text (a lone surrogate escape such as \\ud800?)", e);
        }
    }

    private static ProbeSpec ParseEntry(JsonElement entry, int index)
    {
        var where = $"probe {index}";
        if (entry.ValueKind != JsonValueKind.Object) throw new FormatException($"{where} must be a JSON object, not {Kind(entry)}");

        string type = entry.TryGetProperty("type", out var t) switch
        {
            false => throw new FormatException($"{where} has no \"type\""),
            true when t.ValueKind == JsonValueKind.Number => t.GetRawText(),
            true when t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } s => s,
            _ => throw new FormatException($"{where}: \"type\" must be a number or a non-empty string"),
        };
        if (!entry.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String || n.GetString() is not { Length: > 0 } name)
            throw new FormatException($"{where}: \"name\" must be a non-empty string");
        where = $"probe {index} ({UntrustedText.Printable(name)})";

        if (!entry.TryGetProperty("functions", out var f) || f.ValueKind != JsonValueKind.Array)
            throw new FormatException($"{where}: \"functions\" must be an array of strings");
        var functions = new List<string>();
        foreach (var fn in f.EnumerateArray())
        {
            if (fn.ValueKind != JsonValueKind.String) throw new FormatException($"{where}: \"functions\" must be an array of strings");
            functions.Add(fn.GetString()!);
        }

        string? binary = null;
        if (entry.TryGetProperty("binary_path", out var b) && b.ValueKind != JsonValueKind.Null)
        {
            if (b.ValueKind != JsonValueKind.String) throw new FormatException($"{where}: \"binary_path\" must be a string");
            binary = b.GetString();
        }

        var offsets = entry.TryGetProperty("function_offsets", out var o) && o.ValueKind != JsonValueKind.Null;
        var others = entry.EnumerateObject().Select(p => p.Name).Where(p => !KnownFields.Contains(p)).ToList();
        var targets = new List<(string, string)>();
        if (binary is not null) targets.Add(("binary_path", binary));
        foreach (var field in (string[])["bpf_path", "process_header"])
        {
            if (!entry.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) continue;
            if (v.ValueKind != JsonValueKind.String) throw new FormatException($"{where}: \"{field}\" must be a string");
            targets.Add((field, v.GetString()!));
        }
        return new ProbeSpec(type, name, functions, binary, offsets, others) { TargetPaths = targets };
    }

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();
}

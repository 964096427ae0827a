using Datacrumbs.Daemon.Metadata;
using Datacrumbs.Daemon.Probes;
using System.Text.Json;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Daemon.Flux;

/// <summary>
/// Reads the tracing request out of a jobspec as `flux job info ID jobspec` prints it:
/// <c>.attributes.system.datacrumbs = {"enable":"yes","probe_file":"/abs/path"}</c>.
/// Absent, or <c>enable</c> other than "yes" (upstream's CLI plugin writes <c>{"enable":"no","probe_file":""}</c>
/// on every job): not requested (null), without a word. A relative probe_file (upstream's plugin passes
/// the path as typed) is resolved against the job's <c>attributes.system.cwd</c>; the file is then read
/// as the job's user, like any other. Requested but malformed:
/// <see cref="JobMetadataException"/> naming the job and the problem. The jobspec also holds
/// the user's environment: nothing of it but the offending field reaches a message.
/// </summary>
public static class JobspecTracing
{
    private const string Where = "attributes.system.datacrumbs";

    public static TracingRequest? Read(JobId job, ReadOnlyMemory<byte> jobspecJson)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(jobspecJson, new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException e)
        {
            throw Malformed(job, $"the jobspec is not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            try
            {
                return ReadTracing(job, document.RootElement);
            }
            catch (InvalidOperationException e)
            {
                // Comparing or reading a string with a lone surrogate escape ("\ud800") throws this, not JsonException.
                throw Malformed(job, "the jobspec holds text that is not valid Unicode (a lone surrogate)", e);
            }
        }
    }

    private static TracingRequest? ReadTracing(JobId job, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Malformed(job, "the jobspec is not a JSON object");
        if (!TryGetObject(job, root, "attributes", "attributes", out var attributes)) return null;
        if (!TryGetObject(job, attributes, "system", "attributes.system", out var system)) return null;
        if (!system.TryGetProperty("datacrumbs", out var datacrumbs)) return null;
        if (datacrumbs.ValueKind != JsonValueKind.Object)
            throw Malformed(job, $"{Where} is {Describe(datacrumbs)}, not an object");
        RejectDuplicateKeys(job, datacrumbs);

        if (!datacrumbs.TryGetProperty("enable", out var enable)
            || enable.ValueKind != JsonValueKind.String
            || !enable.ValueEquals("yes"))
            return null;

        if (!datacrumbs.TryGetProperty("probe_file", out var probe))
            throw Malformed(job, $"{Where} has enable \"yes\" but no probe_file");
        if (probe.ValueKind != JsonValueKind.String)
            throw Malformed(job, $"{Where}.probe_file is {Describe(probe)}, not a string");
        string path;
        try { path = probe.GetString()!; }
        catch (InvalidOperationException e) { throw Malformed(job, $"{Where}.probe_file is not valid Unicode text", e); }
        if (path.Length > 0 && path[0] != '/' && ProbeFilePath.Problem("/" + path) is null)
            path = ResolveAgainstCwd(job, system, path);
        if (ProbeFilePath.Problem(path) is { } problem)
            throw Malformed(job, $"{Where}.probe_file {problem}: '{UntrustedText.Printable(path)}'");
        return new TracingRequest("yes", path);
    }

    /// <summary>The job's working directory joined with the relative path; refused when the jobspec has no usable cwd.</summary>
    private static string ResolveAgainstCwd(JobId job, JsonElement system, string relative)
    {
        if (!system.TryGetProperty("cwd", out var cwd) || cwd.ValueKind != JsonValueKind.String
            || cwd.GetString() is not { } dir || ProbeFilePath.Problem(dir) is not null)
            throw Malformed(job, $"{Where}.probe_file is not an absolute path: '{UntrustedText.Printable(relative)}', and the jobspec has no absolute attributes.system.cwd to resolve it against (submit with --datacrumbs-probe-file=$PWD/{UntrustedText.Printable(relative)})");
        return dir.TrimEnd('/') + "/" + relative;
    }

    /// <summary>False when absent; throws when present but not an object.</summary>
    private static bool TryGetObject(JobId job, JsonElement parent, string name, string path, out JsonElement value)
    {
        if (!parent.TryGetProperty(name, out value)) return false;
        if (value.ValueKind == JsonValueKind.Object) return true;
        throw Malformed(job, $"{path} is {Describe(value)}, not an object");
    }

    /// <summary>Two "probe_file" keys read differently by different parsers: refuse the ambiguity.</summary>
    private static void RejectDuplicateKeys(JobId job, JsonElement obj)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in obj.EnumerateObject())
            if (!seen.Add(property.Name))
                throw Malformed(job, $"{Where} has the key '{UntrustedText.Printable(property.Name)}' twice");
    }

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "an object",
    };

    private static JobMetadataException Malformed(JobId job, string problem, Exception? inner = null) =>
        new($"job {job}: {problem}", inner);
}

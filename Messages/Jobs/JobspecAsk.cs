using System.Text.Json;

namespace Datacrumbs.Messages.Jobs;

/// <summary>
/// Whether a jobspec asks for tracing: <c>attributes.system.datacrumbs.enable</c> is "yes". The
/// hooks need this only when the daemon cannot be asked (it reads the jobspec itself otherwise),
/// so that a down daemon costs nothing to the jobs that did not ask. The daemon's full reading,
/// with its messages for a malformed request, is <c>Datacrumbs.Daemon.Flux.JobspecTracing</c>; both
/// take a request as made when <c>enable</c> is "yes" and as absent otherwise.
/// </summary>
public static class JobspecAsk
{
    /// <summary>True or false; null when the text is not a JSON object (then nobody can tell).</summary>
    public static bool? AsksForTracing(ReadOnlyMemory<byte> jobspecJson)
    {
        try
        {
            using var document = JsonDocument.Parse(jobspecJson, new JsonDocumentOptions { MaxDepth = 128 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            // Present but not an object, or with a member twice: the daemon refuses the job with a message, so it asked.
            if (!root.TryGetProperty("attributes", out var attributes)) return false;
            if (attributes.ValueKind != JsonValueKind.Object) return true;
            if (!attributes.TryGetProperty("system", out var system)) return false;
            if (system.ValueKind != JsonValueKind.Object) return true;
            if (!system.TryGetProperty("datacrumbs", out var datacrumbs)) return false;
            if (datacrumbs.ValueKind != JsonValueKind.Object) return true;
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var member in datacrumbs.EnumerateObject())
                if (!names.Add(member.Name)) return true;
            return datacrumbs.TryGetProperty("enable", out var enable) && enable.ValueKind == JsonValueKind.String && enable.ValueEquals("yes");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null; // not JSON, or text that is not valid Unicode
        }
    }
}

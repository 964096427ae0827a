using System.Text;
using System.Text.Json;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Journal;

/// <summary>Reads entries back from the sandbox's journal with journalctl -o json.</summary>
public static class JournalQuery
{
    /// <summary>Makes journald write out what it received, then returns the entries matching
    /// <paramref name="matches"/> (FIELD=value), each field's value as text.</summary>
    public static async Task<List<Dictionary<string, string>>> EntriesAsync(SystemdSandbox sandbox, params string[] matches)
    {
        (await sandbox.ExecAsync("journalctl", "--sync")).EnsureSuccess("journalctl --sync");
        var result = (await sandbox.ExecAsync(["journalctl", "--no-pager", "--all", "-o", "json", .. matches]))
            .EnsureSuccess("journalctl");
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.EnumerateObject()
                .ToDictionary(p => p.Name, p => Text(p.Value)))
            .ToList();
    }

    /// <summary>journalctl shows a value that is not printable UTF-8 as an array of its bytes.</summary>
    public static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Array when value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number) =>
            Encoding.UTF8.GetString(value.EnumerateArray().Select(e => e.GetByte()).ToArray()),
        _ => value.GetRawText(),
    };
}

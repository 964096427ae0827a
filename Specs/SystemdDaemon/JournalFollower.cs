using System.Diagnostics;
using System.Text.Json;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Journal;

namespace Datacrumbs.Specs.SystemdDaemon;

/// <summary>
/// Follows the sandbox's journal (<c>journalctl -f -o json</c>) from a moment taken before the
/// action under test, so an entry written before journalctl has started is still seen. Lets a
/// spec await what systemd itself reports (a restart, a watchdog notification) instead of polling.
/// </summary>
public sealed class JournalFollower : IDisposable
{
    private readonly Process _journalctl;
    private readonly List<Dictionary<string, string>> _entries = [];
    private readonly List<(Func<Dictionary<string, string>, bool> Match, int Count, TaskCompletionSource Done)> _waits = [];

    private JournalFollower(Process journalctl) => _journalctl = journalctl;

    /// <summary>Starts following entries at or after <paramref name="since"/> that match every FIELD=value of <paramref name="matches"/>.</summary>
    public static JournalFollower Start(SystemdSandbox sandbox, DateTimeOffset since, params string[] matches)
    {
        var epoch = $"@{since.ToUnixTimeMilliseconds() / 1000}.{since.ToUnixTimeMilliseconds() % 1000:000}";
        var start = new ProcessStartInfo("nsenter", ["-t", sandbox.Pid, "-m", "-p",
            "journalctl", "--follow", "--no-pager", "--all", "--lines=all", "--output=json", $"--since={epoch}", .. matches])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var follower = new JournalFollower(new Process { StartInfo = start });
        follower._journalctl.OutputDataReceived += (_, e) => follower.Seen(e.Data);
        follower._journalctl.ErrorDataReceived += (_, _) => { };
        follower._journalctl.Start();
        follower._journalctl.BeginOutputReadLine();
        follower._journalctl.BeginErrorReadLine();
        return follower;
    }

    /// <summary>Completes once <paramref name="count"/> entries have matched; fails after <paramref name="timeout"/> naming what was seen.</summary>
    public async Task<IReadOnlyList<Dictionary<string, string>>> AwaitAsync(Func<Dictionary<string, string>, bool> match, int count, TimeSpan timeout, string what)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_entries)
        {
            if (_entries.Count(match) >= count) done.TrySetResult();
            else _waits.Add((match, count, done));
        }
        try
        {
            await done.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the journal did not show {what} within {timeout.TotalSeconds} s; it showed:\n{Messages()}");
        }
        lock (_entries) return _entries.Where(match).ToList();
    }

    private string Messages()
    {
        lock (_entries) return string.Join('\n', _entries.Select(e => e.GetValueOrDefault("MESSAGE", "")));
    }

    private void Seen(string? line)
    {
        if (string.IsNullOrWhiteSpace(line)) return;
        Dictionary<string, string> entry;
        try
        {
            entry = JsonDocument.Parse(line).RootElement.EnumerateObject().ToDictionary(p => p.Name, p => JournalQuery.Text(p.Value));
        }
        catch (JsonException)
        {
            return; // not an entry (journalctl's own notices)
        }
        lock (_entries)
        {
            _entries.Add(entry);
            foreach (var wait in _waits.Where(w => _entries.Count(w.Match) >= w.Count).ToList())
            {
                wait.Done.TrySetResult();
                _waits.Remove(wait);
            }
        }
    }

    public void Dispose()
    {
        try { if (!_journalctl.HasExited) _journalctl.Kill(); }
        catch (InvalidOperationException) { /* already gone */ }
        _journalctl.WaitForExit(5000);
        _journalctl.Dispose();
    }
}

using System.Diagnostics;

namespace Datacrumbs.Benchmarks.Common;

/// <summary>
/// The real systemd + journald + D-Bus sandbox of the specs (Specs/Harness/systemd-sandbox.sh),
/// for the benchmarks: its /run is <see cref="RunDir"/> on the host.
/// </summary>
public sealed class Sandbox : IAsyncDisposable
{
    private readonly Dictionary<string, string> _exports;

    private Sandbox(Dictionary<string, string> exports) => _exports = exports;

    public string Dir => _exports["SDCI_DIR"];
    public string Pid => _exports["SDCI_PID"];
    public string BusAddress => _exports["DBUS_SYSTEM_BUS_ADDRESS"];
    public string RunDir => Path.Combine(Dir, "run");
    public string UnitDir => Path.Combine(Dir, "units");
    public string JournalSocket => Path.Combine(RunDir, "systemd", "journal", "socket");
    public string HostPath(string insideRun) => Path.Combine(RunDir, insideRun["/run/".Length..]);

    public static async Task<Sandbox> StartAsync()
    {
        var r = await Timed.RunAsync("bash", [Paths.SandboxScript, "start"], timeoutSeconds: 90);
        if (r.ExitCode != 0) throw new InvalidOperationException($"systemd-sandbox.sh start failed: {r.Stderr}");
        return new Sandbox(r.Stdout.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w.Contains('=')).Select(w => w.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]));
    }

    /// <summary>The command line that runs <paramref name="command"/> inside the sandbox.</summary>
    public string[] Inside(params string[] command) => ["nsenter", "-t", Pid, "-m", "-p", .. command];

    public async Task<Timed.Result> ExecAsync(params string[] command)
    {
        var line = Inside(command);
        var r = await Timed.RunAsync(line[0], line[1..], timeoutSeconds: 90);
        if (r.ExitCode != 0) throw new InvalidOperationException($"{string.Join(' ', command)} failed in the sandbox ({r.ExitCode}): {r.Stderr.Trim()}");
        return r;
    }

    public async ValueTask DisposeAsync() =>
        await Timed.RunAsync("bash", [Paths.SandboxScript, "stop"], new Dictionary<string, string?> { ["SDCI_DIR"] = Dir }, 90);
}

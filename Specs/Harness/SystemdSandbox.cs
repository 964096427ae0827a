namespace Datacrumbs.Specs.Harness;

/// <summary>
/// A real systemd, journald and D-Bus system bus, PID 1 of private namespaces, started by
/// <c>systemd-sandbox.sh</c> beside this file (about a second). Its /run is <see cref="RunDir"/>
/// on the host, so the test process reaches the bus, the journal socket and the daemon's socket
/// directly; <see cref="ExecAsync"/> runs a command inside (systemctl, journalctl, the daemon).
/// Share one per test class with <c>IClassFixture&lt;SystemdSandbox&gt;</c>; the benchmarks
/// compile this same file (no xunit here: the fixture side is SystemdSandbox.Fixture.cs).
/// </summary>
public sealed partial class SystemdSandbox
{
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "Harness", "systemd-sandbox.sh");
    private Dictionary<string, string> _exports = new();

    /// <summary>The sandbox's work directory on the host.</summary>
    public string Dir => _exports["SDCI_DIR"];
    public string Pid => _exports["SDCI_PID"];
    public string BusAddress => _exports["DBUS_SYSTEM_BUS_ADDRESS"];
    /// <summary>The host path of the sandbox's /run.</summary>
    public string RunDir => Path.Combine(Dir, "run");
    /// <summary>The host path of the sandbox's /etc/systemd/system.</summary>
    public string UnitDir => Path.Combine(Dir, "units");
    /// <summary>The host path of the journal's native socket inside the sandbox.</summary>
    public string JournalSocket => Path.Combine(RunDir, "systemd", "journal", "socket");

    /// <summary>Maps a path under the sandbox's /run to the same file seen from the host.</summary>
    public string HostPath(string insidePath) =>
        insidePath.StartsWith("/run/", StringComparison.Ordinal)
            ? Path.Combine(RunDir, insidePath["/run/".Length..])
            : throw new ArgumentException($"{insidePath} is not under /run, the only place shared with the host");

    /// <summary>Starts a sandbox for a caller that is not an xunit fixture (the benchmarks); end it with <see cref="DisposeAsync"/>.</summary>
    public static async Task<SystemdSandbox> StartAsync()
    {
        var sandbox = new SystemdSandbox();
        await sandbox.InitializeAsync();
        return sandbox;
    }

    public async Task InitializeAsync()
    {
        // The checkout (binaries, unit files) must be visible inside even where it lives under /tmp,
        // which the instance replaces with its own tmpfs.
        var result = await Run.CommandAsync("bash", [Script, "start"], TimeSpan.FromSeconds(60),
            new Dictionary<string, string?> { ["SDCI_BIND"] = CheckoutRoot() });
        result.EnsureSuccess("systemd-sandbox.sh start");
        _exports = result.Stdout.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w.Contains('='))
            .Select(w => w.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1]);
    }

    private static string CheckoutRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "datacrumbs.sln"))) return dir.FullName;
        return AppContext.BaseDirectory;
    }

    public async Task DisposeAsync()
    {
        if (_exports.Count == 0) return;
        await Run.CommandAsync("bash", [Script, "stop"], TimeSpan.FromSeconds(60),
            new Dictionary<string, string?> { ["SDCI_DIR"] = Dir });
    }

    /// <summary>The command line that runs <paramref name="command"/> inside the sandbox (for a process of one's own).</summary>
    public string[] Inside(params string[] command) => ["nsenter", "-t", Pid, "-m", "-p", .. command];

    /// <summary>Runs a command inside the sandbox's mount and pid namespaces.</summary>
    public Task<Run.Result> ExecAsync(TimeSpan timeout, params string[] command)
    {
        var line = Inside(command);
        return Run.CommandAsync(line[0], line[1..], timeout);
    }

    public Task<Run.Result> ExecAsync(params string[] command) => ExecAsync(TimeSpan.FromSeconds(60), command);

    /// <summary>Writes a unit file into the sandbox's /etc/systemd/system and reloads systemd.</summary>
    public async Task InstallUnitAsync(string name, string content)
    {
        await File.WriteAllTextAsync(Path.Combine(UnitDir, name), content);
        (await ExecAsync("systemctl", "daemon-reload")).EnsureSuccess("systemctl daemon-reload");
    }
}

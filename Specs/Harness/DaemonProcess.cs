using System.Diagnostics;
using System.Text.Json;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Specs.Harness;

/// <summary>
/// A real datacrumbsd, started as its own process (the built binary) in a private run dir with
/// the process backend and the stand-in tracer, short timeouts, and a per-job control dir for
/// the tracer's behaviour. Start waits for the daemon's "ready" log line; Kill is SIGKILL, for
/// restart specs; Dispose stops it and removes its files.
/// </summary>
public sealed class DaemonProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _log = [];
    private readonly List<(string Text, TaskCompletionSource Seen)> _logWaits = [];

    public string WorkDir { get; }
    public string RunDir { get; }
    public string Socket => Path.Combine(RunDir, "datacrumbsd.sock");
    /// <summary>The hooks' socket: root only (no HookSocketGroup here).</summary>
    public string HookSocket => Path.Combine(RunDir, "hooks.sock");
    public string ControlDir { get; }
    public string ConfigFile { get; }
    /// <summary>The site secret of every spec daemon (the runtime's format), and a probe file the real runtime would accept with it.</summary>
    public static readonly string SecretHex = Probes.ProbeFixtures.NewSecretHex();
    public static byte[] ValidProbes { get; } = Probes.ProbeFixtures.SignFor(TestUsers.Alice.Uid, "dcalice", Probes.ProbeFixtures.Secret(SecretHex), validity: TimeSpan.FromDays(1));

    /// <summary>A probes file every user may read (the process backend's plain admission copies it; the stand-in verifies it).</summary>
    public string ProbeFile => Path.Combine(WorkDir, "probes.json.gz");

    /// <summary>The tracer's pid (its process group), from the process backend's pid file.</summary>
    public int TracerPid(Messages.Jobs.JobId job) =>
        int.Parse(File.ReadAllText(Path.Combine(RunDir, $"datacrumbs-{job}.pid")).Split(' ')[0]);

    public static string BinDir => AppContext.BaseDirectory;
    public static string Ctl => Path.Combine(BinDir, "datacrumbsctl");

    private DaemonProcess(string workDir, string configFile)
    {
        WorkDir = workDir;
        RunDir = Path.Combine(workDir, "run");
        ControlDir = Path.Combine(workDir, "standin");
        ConfigFile = configFile;
        var start = new ProcessStartInfo(Path.Combine(BinDir, "datacrumbsd"), ["--config", configFile])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Seen(e.Data);
        _process.ErrorDataReceived += (_, e) => Seen(e.Data);
        _process.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException($"datacrumbsd exited with {_process.ExitCode}:\n{Log}"));
    }

    public string Log { get { lock (_log) return string.Join('\n', _log); } }

    /// <summary>The daemon's process id (for /proc figures).</summary>
    public int Pid => _process.Id;

    /// <summary>
    /// Completes when a log line containing <paramref name="text"/> has been written. The deadline
    /// only ends a failing run: generous, so that a loaded machine is never mistaken for a bug.
    /// </summary>
    public async Task WaitForLogAsync(string text, double seconds = 120)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_log)
        {
            if (_log.Any(line => line.Contains(text, StringComparison.Ordinal))) return;
            _logWaits.Add((text, seen));
        }
        try
        {
            await seen.Task.WaitAsync(TimeSpan.FromSeconds(seconds));
        }
        catch (TimeoutException)
        {
            string[] last;
            lock (_log) last = _log.TakeLast(20).ToArray();
            throw new TimeoutException($"the daemon did not log \"{text}\" within {seconds} s; its last lines:\n{string.Join('\n', last)}");
        }
    }

    /// <summary>Starts a daemon; <paramref name="settings"/> override the test defaults (JSON object members).</summary>
    public static async Task<DaemonProcess> StartAsync(string? workDir = null, Dictionary<string, object>? settings = null)
    {
        workDir ??= Directory.CreateTempSubdirectory("datacrumbs-spec-").FullName;
        // Ordinary users (the authorization specs) must reach the socket and read the probes file.
        File.SetUnixFileMode(workDir, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Path.Combine(workDir, "standin"));
        var probes = Path.Combine(workDir, "probes.json.gz");
        if (!File.Exists(probes)) await File.WriteAllBytesAsync(probes, ValidProbes);
        File.SetUnixFileMode(probes, (UnixFileMode)0b110_100_100);
        var secret = Path.Combine(workDir, "probe-secret");
        if (!File.Exists(secret)) Probes.ProbeFixtures.WriteSecretFile(secret, SecretHex);
        var config = new Dictionary<string, object>
        {
            ["RunDir"] = Path.Combine(workDir, "run"),
            ["Backend"] = "Process",
            ["Log"] = "Console",
            ["Tracer"] = new[] { Path.Combine(BinDir, "datacrumbs-standin-tracer") },
            // The stand-in verifies the probe file as the runtime does, with the secret and run dir its build would fix.
            ["TracerEnvironment"] = new Dictionary<string, string>
            {
                ["STANDIN_CONTROL_DIR"] = Path.Combine(workDir, "standin"),
                ["STANDIN_SECRET_FILE"] = secret,
                ["STANDIN_RUN_DIR"] = Path.Combine(workDir, "run"),
                // One full check per distinct document and secret, then only its expiry: the soak starts 10,000 tracers.
                ["STANDIN_VERIFIED_CACHE"] = Path.Combine(workDir, "standin-verified"),
            },
            ["KillAfterSeconds"] = 1,
            ["RequestReadSeconds"] = 30, // a request sent at once must never meet it, however loaded the machine
            // Resolving forks a reader as the job's user: on a loaded 2-core machine that took more
            // than the product's 5 s. The specs of those timeouts set their own.
            ["Timeouts"] = new Dictionary<string, double> { ["Resolve"] = 60, ["Ready"] = 30, ["Stop"] = 20 },
            ["Probes"] = new Dictionary<string, object> { ["RequireSignature"] = false, ["ReadTimeoutSeconds"] = 50 },
            // A spec daemon's metrics never go to the machine's node_exporter (the metrics specs give a directory).
            ["Metrics"] = new Dictionary<string, object> { ["TextfileDirectory"] = "" },
        };
        foreach (var (key, value) in settings ?? []) config[key] = value;
        // A daemon told where traces go has a stand-in built with the same pattern: it writes them there.
        if (config.GetValueOrDefault("TraceDirPattern") is string tracePattern && config["TracerEnvironment"] is Dictionary<string, string> tracerEnvironment)
            tracerEnvironment["STANDIN_TRACE_DIR_PATTERN"] = tracePattern;
        var configFile = Path.Combine(workDir, "datacrumbsd.json");
        await File.WriteAllTextAsync(configFile, JsonSerializer.Serialize(config));

        var daemon = new DaemonProcess(workDir, configFile);
        daemon._process.Start();
        daemon._process.BeginOutputReadLine();
        daemon._process.BeginErrorReadLine();
        // Generous: a fresh-machine CI run under a load of 45 on 2 cores took 16.7 s to restart a
        // daemon that adopts tracers, and a later restart in the same run went past 30 s.
        try { await daemon._ready.Task.WaitAsync(TimeSpan.FromSeconds(120)); }
        catch (TimeoutException)
        {
            string[] last;
            lock (daemon._log) last = daemon._log.TakeLast(20).ToArray();
            throw new TimeoutException($"the daemon did not say it was serving within 120 s; its last lines:\n{string.Join('\n', last)}");
        }
        return daemon;
    }

    /// <summary>Another daemon on the same run dir and configuration (after <see cref="Kill"/>).</summary>
    public Task<DaemonProcess> RestartAsync() => StartAsync(WorkDir, JsonSerializer.Deserialize<Dictionary<string, object>>(File.ReadAllText(ConfigFile)));

    private void Seen(string? line)
    {
        if (line is null) return;
        lock (_log)
        {
            _log.Add(line);
            foreach (var wait in _logWaits.Where(w => line.Contains(w.Text, StringComparison.Ordinal)).ToList())
            {
                wait.Seen.TrySetResult();
                _logWaits.Remove(wait);
            }
        }
        if (line.Contains("datacrumbsd ready")) _ready.TrySetResult();
    }

    /// <summary>Tells the stand-in tracer of one job how to behave (see its header).</summary>
    public Task TracerBehaves(string job, string mode) => File.WriteAllTextAsync(Path.Combine(ControlDir, job), $"STANDIN_MODE={mode}\n");

    public Task<ControlReply> SendAsync(ControlRequest request, double seconds = 120) =>
        ControlClient.SendAsync(Socket, request, TimeSpan.FromSeconds(seconds));

    /// <summary>Runs the real datacrumbsctl against this daemon, optionally as another user.</summary>
    public Task<Run.Result> CtlAsync(string? asUser, params string[] args)
    {
        var env = new Dictionary<string, string?> { ["DATACRUMBS_SOCKET"] = Socket, ["FLUX_JOB_ID"] = null, ["FLUX_JOB_USERID"] = null };
        return asUser is null
            ? Run.CommandAsync(Ctl, args, TimeSpan.FromSeconds(60), env)
            : Run.CommandAsync("setpriv", ["--reuid", asUser, "--regid", asUser, "--init-groups", "--", Ctl, .. args], TimeSpan.FromSeconds(60), env);
    }

    /// <summary>Files of jobs left in the run dir (everything but the sockets).</summary>
    public IReadOnlyList<string> Leftovers() =>
        Directory.Exists(RunDir)
            ? Directory.EnumerateFileSystemEntries(RunDir).Select(f => Path.GetFileName(f)).Where(n => n is not ("datacrumbsd.sock" or "hooks.sock")).ToList()
            : [];

    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(); // SIGKILL is enough: the specs check cleanliness through epilogs, not shutdown
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        // A failed spec may leave tracers behind: never let them outlive the test run.
        foreach (var pidFile in Directory.Exists(RunDir) ? Directory.EnumerateFiles(RunDir, "*.pid") : [])
            if (File.ReadAllText(pidFile).Split(' ')[0] is var pid && int.TryParse(pid, out _))
                await Run.CommandAsync("kill", ["-KILL", "--", $"-{pid}"], TimeSpan.FromSeconds(10));
    }

    public void DeleteWorkDir() => Directory.Delete(WorkDir, recursive: true);
}

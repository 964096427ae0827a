using Datacrumbs.Messages.Probes;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.RealSlurm;

/// <summary>
/// The real-Slurm specs share one cluster, started once, stopped at the end: one xunit collection.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RealSlurmCollection : ICollectionFixture<RealSlurmCluster>
{
    public const string Name = "real slurm";
}

/// <summary>
/// A real Slurm 22.05 (Debian 12's slurmctld and two slurmd nodes, n1 and n2, on this host, which
/// .ci/run installs) as production runs it: the repository's SPANK plugin, built here with gcc
/// against libslurm-dev and listed in plugstack.conf; the repository's prolog and epilog hooks run
/// by slurmd as root with PrologFlags=Alloc, told on their command line only where this test's
/// client and daemon are. Behind them a real datacrumbsd (process backend, stand-in tracer)
/// requiring probe files signed for the job's user; both nodes share it, as the Flux specs'
/// brokers do. Before the hook, each prolog and epilog leaves a copy of its environment in
/// <see cref="HookEnvDir"/>; after it, a file in <see cref="HookDoneDir"/> with its exit code.
/// Without Slurm the specs skip, saying why; with CI=true they fail instead.
/// </summary>
public sealed class RealSlurmCluster : IAsyncLifetime
{
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);
    public static readonly string[] Nodes = ["n1", "n2"];
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "RealSlurm", "slurm-cluster.sh");
    private const string ClusterDir = "/run/datacrumbs-spec-slurm";
    private const string MachineLock = "/run/lock/datacrumbs-realslurm-specs.lock";
    private static readonly string[] Needed = ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/srun", "/usr/sbin/munged", "/usr/include/slurm/spank.h", "/usr/bin/gcc", "/usr/bin/make"];

    private string? _missing;
    private HeldFileLock? _machineLock;
    private string _work = "";

    /// <summary>The daemon of every user's jobs but <see cref="FailUser"/>'s: policy Continue.</summary>
    public DaemonProcess Daemon { get; private set; } = null!;
    /// <summary>The daemon of <see cref="FailUser"/>'s jobs: policy Fail.</summary>
    public DaemonProcess FailDaemon { get; private set; } = null!;
    public const string FailUser = "dcbob";
    public string SlurmConf => Path.Combine(ClusterDir, "etc", "slurm.conf");
    public ProbeSecret Keys { get; } = ProbeFixtures.Secret(DaemonProcess.SecretHex);
    /// <summary>A directory every test user may write, where jobs are submitted from.</summary>
    public string JobDir { get; private set; } = "";
    /// <summary>A job's task printing "ready sJOB NODE" when the job's ready file is on its node, else "MISSING sJOB NODE".</summary>
    public string ReadyCheck { get; private set; } = "";
    /// <summary>Each hook's environment as slurmd gave it: prolog-JOB-NODE, epilog-JOB-NODE.</summary>
    public string HookEnvDir => Path.Combine(_work, "hook-env");
    /// <summary>One file per finished hook, prolog-JOB-NODE or epilog-JOB-NODE, holding its exit code and output.</summary>
    public string HookDoneDir => Path.Combine(_work, "hook-done");
    /// <summary>While this file exists the hooks are pointed at a socket no daemon serves: a node whose daemon is stopped.</summary>
    private string DownMarker => Path.Combine(_work, "daemon-down");

    public async Task InitializeAsync()
    {
        var absent = Needed.Where(p => !File.Exists(p)).ToList();
        if (absent.Count > 0)
        {
            _missing = $"no real Slurm here ({string.Join(", ", absent)} missing; .ci/run installs slurmctld slurmd slurm-client munge libslurm-dev gcc make)";
            return;
        }
        try { _machineLock = await HeldFileLock.TakeAsync(MachineLock, TimeSpan.FromHours(1)); }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"another suite held the real Slurm ({MachineLock}) for an hour: {e.Message}", e);
        }
        _work = Directory.CreateTempSubdirectory("datacrumbs-realslurm-").FullName;
        File.SetUnixFileMode(_work, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(HookEnvDir);
        Directory.CreateDirectory(HookDoneDir);

        // The plugin as an admin builds it (deploy/slurm/Makefile), into a directory srun, sbatch
        // and salloc may load it from as any user.
        (await Run.CommandAsync("make", ["-s", "-C", Checkout.File("deploy", "slurm"), $"OUT={_work}"], Generous)).EnsureSuccess("building the SPANK plugin");
        var plugin = Path.Combine(_work, "datacrumbs_spank.so");

        Dictionary<string, object> Settings(string onFailure, string dir) => new()
        {
            ["OnFailure"] = onFailure,
            ["TraceDirPattern"] = Path.Combine(dir, "traces", "%YY%", "%MM%", "%DD%"),
            ["Probes"] = new Dictionary<string, object> { ["RequireSignature"] = true, ["SecretFile"] = Path.Combine(dir, "probe-secret"), ["ReadTimeoutSeconds"] = 50 },
        };
        var failWork = Directory.CreateDirectory(Path.Combine(_work, "fail")).FullName;
        Daemon = await DaemonProcess.StartAsync(_work, Settings("Continue", _work));
        FailDaemon = await DaemonProcess.StartAsync(failWork, Settings("Fail", failWork));
        JobDir = Directory.CreateDirectory(Path.Combine(_work, "jobs")).FullName;
        File.SetUnixFileMode(JobDir, (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit);

        ReadyCheck = Path.Combine(JobDir, "ready-check");
        await File.WriteAllTextAsync(ReadyCheck, $$"""
            #!/bin/bash
            # A job's task: is this job's ready file on this node? Prints "ready sJOB NODE" or "MISSING sJOB NODE".
            f="s${SLURM_JOB_ID:-}"
            for run in "{{Daemon.RunDir}}" "{{FailDaemon.RunDir}}"; do
                if [ -n "${SLURM_JOB_ID:-}" ] && [ -e "$run/datacrumbs-$f.ready" ]; then echo "ready $f ${SLURMD_NODENAME:-?}"; exit 0; fi
            done
            echo "MISSING $f ${SLURMD_NODENAME:-?}"

            """);
        File.SetUnixFileMode(ReadyCheck, (UnixFileMode)0b111_101_101);

        // The hooks as slurmd runs them (root, only Slurm's variables), told only where this test's
        // client and daemons are: FailUser's jobs go to the daemon whose policy is Fail.
        var router = Path.Combine(_work, "hook-router");
        await File.WriteAllTextAsync(router, $$"""
            #!/bin/bash
            hook="$1"; kind="$2"
            name="$kind-${SLURM_JOB_ID:-none}-${SLURMD_NODENAME:-none}"
            env > "{{HookEnvDir}}/$name.tmp" && mv -f "{{HookEnvDir}}/$name.tmp" "{{HookEnvDir}}/$name"
            socket="{{Daemon.Socket}}"
            [ "${SLURM_JOB_UID:-}" = "{{TestUsers.Lookup(FailUser).Uid}}" ] && socket="{{FailDaemon.Socket}}"
            [ -e "{{DownMarker}}" ] && socket="{{Path.Combine(_work, "no-daemon.sock")}}"
            rc=0
            out="$("{{Checkout.File("deploy", "slurm")}}/$hook" --ctl="{{DaemonProcess.Ctl}}" --socket="$socket")" || rc=$?
            # The tracer's pid as the prolog left it (root-only pid file), for the specs to watch it end.
            for run in "{{Daemon.RunDir}}" "{{FailDaemon.RunDir}}"; do
                [ "$kind" = prolog ] && [ -r "$run/datacrumbs-s${SLURM_JOB_ID:-}.pid" ] && cut -d' ' -f1 "$run/datacrumbs-s$SLURM_JOB_ID.pid" > "{{HookDoneDir}}/tracer-$SLURM_JOB_ID"
            done
            printf '%s\n%s\n' "$rc" "$out" > "{{HookDoneDir}}/$name.tmp" && mv -f "{{HookDoneDir}}/$name.tmp" "{{HookDoneDir}}/$name"
            exit "$rc"

            """);
        File.SetUnixFileMode(router, (UnixFileMode)0b111_101_101);
        var start = await Run.CommandAsync("bash", [Script, "start", "-d", ClusterDir, "-n", Nodes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-p", $"{router} datacrumbs_slurm_prolog.sh prolog", "-e", $"{router} datacrumbs_slurm_epilog.sh epilog", "-s", plugin], Generous);
        start.EnsureSuccess("slurm-cluster.sh start");
    }

    /// <summary>Until disposed, every node's hooks find no daemon, as with `systemctl stop datacrumbsd`.</summary>
    public IDisposable DaemonStopped()
    {
        File.WriteAllText(DownMarker, "");
        return new Undo(() => File.Delete(DownMarker));
    }

    private sealed class Undo(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>Skips the spec when there is no real Slurm, saying why; under CI=true that is a failure.</summary>
    public void Require()
    {
        if (_missing is null) return;
        if (Environment.GetEnvironmentVariable("CI") == "true")
            Assert.Fail($"CI=true and {_missing}: the real-Slurm specs must run in CI");
        Skip.If(true, _missing);
    }

    /// <summary>Runs a Slurm command as <paramref name="user"/> from <see cref="JobDir"/>, with the environment a login shell would give it.</summary>
    public Task<Run.Result> AsUserAsync(string user, params string[] args) =>
        Run.CommandAsync("runuser", ["-u", user, "--", "env", "-i", "-C", JobDir,
            "PATH=/usr/bin:/bin", "LANG=C.UTF-8", $"HOME=/home/{user}", $"USER={user}", $"SLURM_CONF={SlurmConf}", .. args], Generous);

    /// <summary>Runs a Slurm command as root (the admin's view of every job).</summary>
    public Task<Run.Result> AsRootAsync(params string[] args) =>
        Run.CommandAsync(args[0], args[1..], Generous, new Dictionary<string, string?> { ["SLURM_CONF"] = SlurmConf });

    /// <summary>A probes file in <see cref="JobDir"/>, signed for <paramref name="user"/>, readable by that user only.</summary>
    public async Task<string> SignedProbesForAsync(string user, string name)
    {
        var account = TestUsers.Lookup(user);
        var path = Path.Combine(JobDir, name);
        ProbeFixtures.WriteFile(path, ProbeFixtures.SignFor(account.Uid, user, Keys), 0b110_000_000);
        await ProbeFixtures.ChownAsync(path, user);
        return path;
    }

    /// <summary>The environment slurmd gave a hook (prolog or epilog) of a job on a node, once that hook has finished.</summary>
    public async Task<IReadOnlyDictionary<string, string>> HookEnvironmentAsync(string kind, string job, string node)
    {
        await HookDoneAsync(kind, job, node);
        return File.ReadAllLines(Path.Combine(HookEnvDir, $"{kind}-{job}-{node}"))
            .Select(l => l.Split('=', 2)).Where(kv => kv.Length == 2)
            .GroupBy(kv => kv[0]).ToDictionary(g => g.Key, g => g.First()[1]);
    }

    /// <summary>
    /// Completes when a hook (prolog or epilog) of a job on a node has finished, with its exit
    /// code and output. Awaits the file's arrival (inotify), never polling; the deadline only ends
    /// a failing run. A prolog has finished before the job's first task; an epilog may still run
    /// after srun returned.
    /// </summary>
    public async Task<(int ExitCode, string Output)> HookDoneAsync(string kind, string job, string node, TimeSpan? deadline = null)
    {
        var wait = deadline ?? Generous;
        var path = Path.Combine(HookDoneDir, $"{kind}-{job}-{node}");
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (var watcher = new FileSystemWatcher(HookDoneDir, Path.GetFileName(path)) { NotifyFilter = NotifyFilters.FileName })
        {
            watcher.Renamed += (_, _) => arrived.TrySetResult();
            watcher.Created += (_, _) => arrived.TrySetResult();
            watcher.EnableRaisingEvents = true;
            if (!File.Exists(path))
            {
                try { await arrived.Task.WaitAsync(wait); }
                catch (TimeoutException)
                {
                    throw new TimeoutException($"the {kind} of job {job} on {node} did not finish within {wait.TotalSeconds} s (hooks done: {string.Join(", ", Directory.EnumerateFiles(HookDoneDir).Select(Path.GetFileName))})");
                }
            }
        }
        var lines = await File.ReadAllLinesAsync(path);
        return (int.Parse(lines[0], System.Globalization.CultureInfo.InvariantCulture), string.Join('\n', lines.Skip(1)));
    }

    /// <summary>The tracer's pid of a job, as its prolog left it; call after <see cref="HookDoneAsync"/> of a prolog that answered ready.</summary>
    public int TracerOf(string job) =>
        int.Parse(File.ReadAllText(Path.Combine(HookDoneDir, $"tracer-{job}")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Both hooks have finished on every node and the job's tracer is stopped, with nothing of the job left in the run dirs.</summary>
    public async Task AssertNothingLeftAsync(string job, int tracer)
    {
        await JobOverAsync(job);
        Assert.Empty(LeftoversOf(job));
        Assert.False(Reliability.TracerProcesses.IsAlive(tracer), $"the tracer of job {job} still runs after both epilogs: {Reliability.TracerProcesses.Describe(tracer)}");
    }

    /// <summary>For failure messages: every finished hook of a job, its exit code and output.</summary>
    public IEnumerable<string> HookOutputs(string job) =>
        Directory.EnumerateFiles(HookDoneDir, $"*-{job}-*").Select(f => $"{Path.GetFileName(f)}: {File.ReadAllText(f).Trim()}");

    /// <summary>Whether a hook of this job ran on this node at all (after the job is known to be over).</summary>
    public bool HookRan(string kind, string job, string node) => File.Exists(Path.Combine(HookEnvDir, $"{kind}-{job}-{node}"));

    /// <summary>What is left in either daemon's run dir of a job (env, ready, pid, probe copy).</summary>
    public IReadOnlyList<string> LeftoversOf(string job) =>
        [.. Daemon.Leftovers().Concat(FailDaemon.Leftovers()).Where(n => n.Contains($"-s{job}.", StringComparison.Ordinal))];

    /// <summary>Both hooks of a job have finished on every node: whatever the job started is over.</summary>
    public async Task JobOverAsync(string job, TimeSpan? deadline = null)
    {
        foreach (var node in Nodes)
            await HookDoneAsync("epilog", job, node, deadline);
    }

    /// <summary>
    /// A crash of the policy-Continue daemon and its restart, as systemd's Restart=on-failure would
    /// do it: SIGKILL, then another daemon on the same run dir and configuration. Returns once it serves.
    /// </summary>
    public async Task KillAndRestartDaemonAsync()
    {
        Daemon.Kill();
        Daemon = await Daemon.RestartAsync();
    }

    /// <summary>What `scontrol show job` says of a job, as its user sees it.</summary>
    public async Task<string> ShowJobAsync(string user, string job) =>
        (await AsUserAsync(user, "scontrol", "show", "job", job)).EnsureSuccess($"scontrol show job {job}").Stdout;

    /// <summary>The number of jobs slurmctld knows (finished ones stay MinJobAge=300 s): a refused submission adds none.</summary>
    public async Task<int> JobCountAsync()
    {
        var r = (await AsRootAsync("squeue", "-h", "-t", "all", "-o", "%i")).EnsureSuccess("squeue");
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    public async Task DisposeAsync()
    {
        if (_missing is not null) return;
        // Also after a start that failed half-way: stop what was started, in reverse.
        await Run.CommandAsync("bash", [Script, "stop", "-d", ClusterDir], Generous);
        if (FailDaemon is not null) await FailDaemon.DisposeAsync();
        if (Daemon is not null) await Daemon.DisposeAsync();
        if (_work.Length > 0) Directory.Delete(_work, recursive: true);
        if (_machineLock is not null) await _machineLock.DisposeAsync();
    }
}

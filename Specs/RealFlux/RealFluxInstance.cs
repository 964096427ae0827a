using Datacrumbs.Messages.Unix;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Specs.FluxEndToEnd;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.RealFlux;

/// <summary>
/// The real-Flux specs share one instance, started once, stopped at the end: one xunit collection.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RealFluxCollection : ICollectionFixture<RealFluxInstance>
{
    public const string Name = "real flux";
}

/// <summary>
/// A real multi-user Flux (flux-core 0.88 under /opt/flux, which .ci/run installs from the team's
/// tools) as production runs it: two brokers owned by `flux`, root not among its roles
/// (no access.allow-root-owner), perilog.so running our hooks per rank as root through
/// `flux-imp run prolog|epilog` with only FLUX_* variables. The hooks are the repository's,
/// given on their command line only where the test's paths differ from the installed ones (the
/// client and the daemon's socket); they find `flux` themselves. Behind them a real datacrumbsd
/// (process backend, stand-in tracer) requiring probe files signed for the job's user.
/// Without /opt/flux the specs skip, saying why; with CI=true they fail instead.
/// </summary>
public sealed class RealFluxInstance : IAsyncLifetime
{
    public const string FluxPrefix = "/opt/flux";
    public static readonly string Flux = Path.Combine(FluxPrefix, "bin", "flux");
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "RealFlux", "flux-instance.sh");

    private const string MachineLock = "/run/lock/datacrumbs-realflux-specs.lock";
    private string? _missing;
    private HeldFileLock? _machineLock;

    /// <summary>The daemon of every user's jobs but <see cref="FailUser"/>'s: policy Continue.</summary>
    public DaemonProcess Daemon { get; private set; } = null!;
    /// <summary>The daemon of <see cref="FailUser"/>'s jobs: policy Fail.</summary>
    public DaemonProcess FailDaemon { get; private set; } = null!;
    public const string FailUser = "dcbob";
    public string Uri { get; private set; } = "";
    /// <summary>The site secret of both daemons (every spec daemon's, see <see cref="DaemonProcess.SecretHex"/>).</summary>
    public ProbeSecret Keys { get; } = ProbeFixtures.Secret(DaemonProcess.SecretHex);
    /// <summary>A directory every test user may enter, where jobs are submitted from (the job shell changes to it).</summary>
    public string JobDir { get; private set; } = "";
    /// <summary>A job command printing "ready JOB" when the job's ready file is on its node, else "MISSING JOB".</summary>
    public string ReadyCheck { get; private set; } = "";
    public static string PluginDir => Path.Combine(FluxNode.DeployDir, "cli", "plugins");
    /// <summary>While this file exists the hooks are pointed at a socket no daemon serves: a node whose daemon is stopped.</summary>
    private string DownMarker { get; set; } = "";

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

    public async Task InitializeAsync()
    {
        if (!File.Exists(Flux) || !File.Exists(Path.Combine(FluxPrefix, "libexec", "flux", "flux-imp")))
        {
            _missing = $"no real Flux at {FluxPrefix} (.ci/run installs it with ../shared/tools/flux/install.sh)";
            return;
        }
        await TakeMachineLockAsync();
        var work = Directory.CreateTempSubdirectory("datacrumbs-realflux-").FullName;
        File.SetUnixFileMode(work, (UnixFileMode)0b111_101_101);
        // DaemonProcess writes the secret file into each daemon's work dir before it starts it.
        Dictionary<string, object> Settings(string onFailure, string dir) => new()
        {
            ["FluxCommand"] = Flux,
            ["OnFailure"] = onFailure,
            // The instance owner sees every job in status (as on a cluster: deploy/config/datacrumbsd.json), for cluster-status.
            ["AllowedCallers"] = new[] { "flux" },
            // The runtime's trace dir pattern, under the work dir: the stand-in writes its trace there (DaemonProcess).
            ["TraceDirPattern"] = Path.Combine(dir, "traces", "%YY%", "%MM%", "%DD%"),
            ["Probes"] = new Dictionary<string, object> { ["RequireSignature"] = true, ["SecretFile"] = Path.Combine(dir, "probe-secret"), ["ReadTimeoutSeconds"] = 50 },
        };
        var failWork = Directory.CreateDirectory(Path.Combine(work, "fail")).FullName;
        Daemon = await DaemonProcess.StartAsync(work, Settings("Continue", work));
        FailDaemon = await DaemonProcess.StartAsync(failWork, Settings("Fail", failWork));
        JobDir = Directory.CreateDirectory(Path.Combine(work, "jobs")).FullName;
        File.SetUnixFileMode(JobDir, (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit);

        ReadyCheck = Path.Combine(JobDir, "ready-check");
        await File.WriteAllTextAsync(ReadyCheck, $$"""
            #!/bin/bash
            # A job's task: is this job's ready file on this node? (In an allocation's initial
            # program FLUX_JOB_ID is unset: the instance knows its own job id.)
            id="${FLUX_JOB_ID:-$(flux getattr jobid 2>/dev/null)}"
            f="${id/#ƒ/f}"
            if [ -n "$f" ] && [ -e "{{Daemon.RunDir}}/datacrumbs-$f.ready" ]; then echo "ready $f"; else echo "MISSING $f"; fi

            """);
        File.SetUnixFileMode(ReadyCheck, (UnixFileMode)0b111_101_101);

        // The hooks as flux-imp runs them and job-manager.toml ships them (datacrumbsctl hook prolog|epilog,
        // handing over to the scripts), told only where this test's client and daemons are.
        // FailUser's jobs go to the daemon whose policy is Fail, everyone else's to Continue.
        DownMarker = Path.Combine(work, "daemon-down");
        var router = Path.Combine(work, "hook-router");
        await File.WriteAllTextAsync(router, $$"""
            #!/bin/bash
            socket="{{Daemon.Socket}}"
            [ "${FLUX_JOB_USERID:-}" = "{{UnixAccounts.LookupUid(FailUser)}}" ] && socket="{{FailDaemon.Socket}}"
            [ -e "{{DownMarker}}" ] && socket="{{Path.Combine(work, "no-daemon.sock")}}"
            exec "{{DaemonProcess.Ctl}}" hook "$1" --script="{{FluxNode.DeployDir}}/$2" --ctl="{{DaemonProcess.Ctl}}" --socket="$socket"

            """);
        File.SetUnixFileMode(router, (UnixFileMode)0b111_101_101);
        var start = await Run.CommandAsync("bash", [Script, "start", "--root-owner", "no",
            "--prolog", $"{router} prolog datacrumbs_service_run.sh", "--epilog", $"{router} epilog datacrumbs_service_stop.sh"], Generous);
        start.EnsureSuccess("flux-instance.sh start");
        Uri = start.Stdout.Split('\n').Single(l => l.StartsWith("export FLUX_URI=", StringComparison.Ordinal))["export FLUX_URI=".Length..];
    }

    /// <summary>
    /// The instance, its IMP configuration and its run directory are the machine's: a second suite
    /// (another checkout, another engineer) waits here, for up to an hour, until the first one is done.
    /// </summary>
    private async Task TakeMachineLockAsync()
    {
        try { _machineLock = await HeldFileLock.TakeAsync(MachineLock, TimeSpan.FromHours(1)); }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"another suite held the real Flux ({MachineLock}) for an hour: {e.Message}", e);
        }
    }

    /// <summary>
    /// A crash of the policy-Continue daemon and its restart, as systemd's Restart=on-failure would
    /// do it: SIGKILL (no shutdown path runs), then another daemon on the same run dir and
    /// configuration, so the hooks reach it on the same socket. Returns once the new one serves.
    /// </summary>
    public async Task KillAndRestartDaemonAsync()
    {
        Daemon.Kill();
        Daemon = await Daemon.RestartAsync();
    }

    /// <summary>Skips the spec when there is no real Flux, saying why; under CI=true that is a failure.</summary>
    public void Require()
    {
        if (_missing is null) return;
        if (Environment.GetEnvironmentVariable("CI") == "true")
            Assert.Fail($"CI=true and {_missing}: the real-Flux specs must run in CI");
        Skip.If(true, _missing);
    }

    /// <summary>Runs a flux command as <paramref name="user"/> from <see cref="JobDir"/>, with the environment a login shell would give it and our CLI plugin.</summary>
    public Task<Run.Result> AsUserAsync(string user, params string[] args) => ProgramAsUserAsync(user, Flux, args);

    /// <summary>Runs <paramref name="program"/> as <paramref name="user"/> in the same environment as <see cref="AsUserAsync"/> (flux on PATH).</summary>
    public Task<Run.Result> ProgramAsUserAsync(string user, string program, params string[] args) =>
        Run.CommandAsync("runuser", ["-u", user, "--", "env", "-i", "-C", JobDir,
            $"PATH={FluxPrefix}/bin:/usr/bin:/bin", "LANG=C.UTF-8", $"HOME=/home/{user}", $"USER={user}",
            $"FLUX_URI={Uri}", $"FLUX_CLI_PLUGINPATH={PluginDir}", program, .. args], Generous);

    /// <summary>Runs a flux command as the instance owner (for its view of every job and of the resources).</summary>
    public Task<Run.Result> AsOwnerAsync(params string[] args) => AsUserAsync("flux", args);

    /// <summary>A probes file in <see cref="JobDir"/>, signed for <paramref name="user"/>, readable by that user only.</summary>
    public async Task<string> SignedProbesForAsync(string user, string name)
    {
        var uid = UnixAccounts.LookupUid(user) ?? throw new InvalidOperationException($"user {user} is missing (test.sh creates it)");
        var path = Path.Combine(JobDir, name);
        ProbeFixtures.WriteFile(path, ProbeFixtures.SignFor(uid, user, Keys), 0b110_000_000);
        await ProbeFixtures.ChownAsync(path, user);
        return path;
    }

    public async Task DisposeAsync()
    {
        if (_missing is not null) return;
        await Run.CommandAsync("bash", [Script, "stop"], Generous);
        await FailDaemon.DisposeAsync();
        await Daemon.DisposeAsync();
        Daemon.DeleteWorkDir();
        if (_machineLock is not null) await _machineLock.DisposeAsync();
    }
}

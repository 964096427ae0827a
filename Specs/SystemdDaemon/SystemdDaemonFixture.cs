using System.Text.Json;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Probes;
using Datacrumbs.Specs.Systemd;

namespace Datacrumbs.Specs.SystemdDaemon;

/// <summary>
/// One sandboxed systemd running the real datacrumbsd as <c>datacrumbsd.service</c>, for a whole
/// spec class, on the sockets systemd holds (<c>datacrumbsd.socket</c>, <c>datacrumbsd-hooks.socket</c>).
/// The shipped unit files are installed verbatim; drop-ins change only what a test
/// machine must: the daemon's binary and configuration paths, a short watchdog, and the stand-in
/// tracer's per-job control dir. The tracer path is what the installer makes of it: a symlink at
/// /usr/libexec/datacrumbs/datacrumbs-tracer (here to the stand-in). The daemon picks its backend
/// itself (it finds /run/systemd/system) and the specs reach it through the shared /run.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class SystemdDaemonFixture : IAsyncLifetime
{
    private readonly int _readySeconds;

    public SystemdDaemonFixture() : this(readySeconds: 30) { }

    /// <summary>For a spec class that needs a shorter Ready timeout (e.g. many never-ready tracers).</summary>
    protected SystemdDaemonFixture(int readySeconds) => _readySeconds = readySeconds;

    public const string Daemon = "datacrumbsd.service";
    /// <summary>The socket units systemd listens on for the daemon (socket activation).</summary>
    public const string PublicSocketUnit = "datacrumbsd.socket", HooksSocketUnit = "datacrumbsd-hooks.socket";
    /// <summary>Watchdog period for the specs (shipped: none, a site opts in with a drop-in as this one does), short enough to watch several periods pass.</summary>
    public const int WatchdogSeconds = 3;
    public const string RunDir = "/run/datacrumbs";
    private const string SpecDir = "/run/datacrumbs-spec";
    /// <summary>The site probe secret in the runtime's format; the daemon and the stand-in tracer both read it.</summary>
    public const string SecretFile = SpecDir + "/probe-secret";
    /// <summary>Probes signed for dcalice, in a directory only dcalice may enter (like a home directory).</summary>
    public const string ProbeFile = SpecDir + "/dcalice/probes.json.gz";
    /// <summary>Probes validly signed for dcalice, but in a root-only file: dcalice cannot read it, so it must be refused.</summary>
    public const string RootOnlyProbeFile = SpecDir + "/root-only.probes.json.gz";
    /// <summary>The stand-in tracers' control dir, as they see it in their environment (STANDIN_CONTROL_DIR).</summary>
    public const string ControlDir = SpecDir + "/standin";
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public SystemdSandbox Sandbox { get; } = new();
    public string Socket => Sandbox.HostPath(RunDir + "/datacrumbsd.sock");
    public string HookSocket => Sandbox.HostPath(RunDir + "/hooks.sock");
    public uint AliceUid { get; } = Messages.Unix.UnixAccounts.LookupUid("dcalice") ?? throw new InvalidOperationException("user dcalice is missing (.ci/run creates it)");

    /// <summary>Restarts of datacrumbsd.service that specs caused on purpose; any other one is a fault (e.g. the watchdog).</summary>
    public int IntendedRestarts { get; set; }

    public async Task InitializeAsync()
    {
        await Sandbox.InitializeAsync();
        Directory.CreateDirectory(Sandbox.HostPath(ControlDir));
        await WriteSignedProbesAsync();
        await File.WriteAllTextAsync(Sandbox.HostPath(SpecDir + "/datacrumbsd.json"), JsonSerializer.Serialize(new
        {
            // No Backend: auto must choose systemd here. No Log: auto must choose the journal.
            // Signed probes, as in production: the daemon reads the user's file as the user (setpriv)
            // under the unit's hardening (NoNewPrivileges=, ProtectHome=, ...).
            // Generous where the specs do not test the timeout: a loaded machine is not a fault.
            Probes = new { RequireSignature = true, SecretFile, ReadTimeoutSeconds = 50 },
            Timeouts = new { Resolve = 60, Ready = _readySeconds, Stop = 20 },
            // A client started while the machine is busy may take seconds from its connect to its request.
            RequestReadSeconds = 30,
            // As shipped, and as datacrumbsd-hooks.socket makes the hooks' socket (0660, group flux).
            HookSocketGroup = "flux",
        }));

        (await Sandbox.ExecAsync("mkdir", "-p", "/usr/libexec/datacrumbs")).EnsureSuccess("mkdir /usr/libexec/datacrumbs");
        (await Sandbox.ExecAsync("ln", "-sfn", Built("datacrumbs-standin-tracer"), "/usr/libexec/datacrumbs/datacrumbs-tracer")).EnsureSuccess("ln tracer");

        await DropInAsync("datacrumbsd.service", "spec.conf", $"""
            [Service]
            ExecStart=
            ExecStart={Built("datacrumbsd")} --config {SpecDir}/datacrumbsd.json
            WatchdogSec={WatchdogSeconds}s
            {ExtraDaemonSettings}
            """);
        await DropInAsync("datacrumbs@.service", "spec.conf", $"""
            [Service]
            Environment=STANDIN_CONTROL_DIR={ControlDir} STANDIN_SECRET_FILE={SecretFile} STANDIN_RUN_DIR={RunDir}
            """);
        foreach (var unit in new[] { "datacrumbs@.service", Daemon, PublicSocketUnit, HooksSocketUnit })
            await File.WriteAllTextAsync(Path.Combine(Sandbox.UnitDir, unit), await File.ReadAllTextAsync(TracerUnits.RepoFile($"deploy/systemd/{unit}")));
        (await Sandbox.ExecAsync("systemctl", "daemon-reload")).EnsureSuccess("systemctl daemon-reload");

        await EnsureDaemonActiveAsync();
    }

    public Task DisposeAsync() => Sandbox.DisposeAsync();

    /// <summary>More [Service] lines for datacrumbsd.service in a spec class's own sandbox.</summary>
    protected virtual string ExtraDaemonSettings => "";

    private async Task WriteSignedProbesAsync()
    {
        var secret = ProbeFixtures.NewSecretHex();
        ProbeFixtures.WriteSecretFile(Sandbox.HostPath(SecretFile), secret);
        var signed = ProbeFixtures.SignFor(AliceUid, "dcalice", ProbeFixtures.Secret(secret), validity: TimeSpan.FromHours(2));

        var aliceDir = Path.GetDirectoryName(Sandbox.HostPath(ProbeFile))!;
        Directory.CreateDirectory(aliceDir);
        File.SetUnixFileMode(aliceDir, (UnixFileMode)0b111_000_000);
        ProbeFixtures.WriteFile(Sandbox.HostPath(ProbeFile), signed, 0b110_000_000);
        await ProbeFixtures.ChownAsync(aliceDir, "dcalice:dcalice");
        await ProbeFixtures.ChownAsync(Sandbox.HostPath(ProbeFile), "dcalice:dcalice");
        ProbeFixtures.WriteFile(Sandbox.HostPath(RootOnlyProbeFile), signed, 0b110_000_000);
    }

    private static string Built(string name) => Path.Combine(AppContext.BaseDirectory, name);

    private async Task DropInAsync(string unit, string name, string content)
    {
        var dir = Path.Combine(Sandbox.UnitDir, unit + ".d");
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, name), content + "\n");
    }

    /// <summary>
    /// A drop-in for one job's unit only (e.g. its tracer path or stop timeout). Named apart from
    /// the template's drop-in: a same-named instance drop-in would replace it, not add to it.
    /// </summary>
    public async Task InstanceDropInAsync(JobId job, string serviceSection)
    {
        await DropInAsync(JobNames.Unit(job), "instance.conf", $"[Service]\n{serviceSection}");
        (await Sandbox.ExecAsync("systemctl", "daemon-reload")).EnsureSuccess("systemctl daemon-reload");
    }

    /// <summary>
    /// Starts datacrumbsd.service unless it runs; returns once systemd has its READY=1 (Type=notify).
    /// Every spec class calls it before each spec, so a spec that left the daemon down (killed,
    /// waiting for its automatic restart) costs the next spec nothing: systemd keeps this start
    /// job queued until that restart, which NRestarts counts as usual.
    /// </summary>
    public async Task EnsureDaemonActiveAsync()
    {
        var start = await Sandbox.ExecAsync(Patience, "systemctl", "start", Daemon);
        if (start.ExitCode != 0)
            throw new InvalidOperationException($"systemctl start {Daemon} failed: {start.Stderr}\n{await DaemonJournalAsync()}");
    }

    public async Task<string> DaemonJournalAsync() =>
        (await Sandbox.ExecAsync("journalctl", "--no-pager", "-n", "60", "-u", Daemon)).Stdout;

    /// <summary>A unit property as systemd reports it (systemctl show, not the code under test).</summary>
    public async Task<string> ShowAsync(string unit, string property) =>
        (await Sandbox.ExecAsync("systemctl", "show", "-P", property, unit)).Stdout.Trim();

    private readonly List<JobId> _jobs = [];

    /// <summary>A fresh job id, remembered so that <see cref="EndJobsAsync"/> can clean up after a failed spec.</summary>
    public JobId NewJob()
    {
        var job = new JobId((ulong)Random.Shared.NextInt64(1, long.MaxValue));
        lock (_jobs) _jobs.Add(job);
        return job;
    }

    /// <summary>
    /// Sends an epilog for every job a spec made with <see cref="NewJob"/> and for
    /// <paramref name="moreJobs"/> (ids it made itself), a no-op for those it ended itself, so
    /// that a spec failing half-way leaves nothing to fail the next one. Every spec class calls
    /// it after each spec.
    /// </summary>
    public async Task EndJobsAsync(IEnumerable<JobId>? moreJobs = null)
    {
        JobId[] jobs;
        lock (_jobs) { jobs = [.. _jobs.Concat(moreJobs ?? []).Distinct()]; _jobs.Clear(); }
        if (jobs.Length == 0) return;
        try
        {
            await EnsureDaemonActiveAsync();
            var failed = (await Task.WhenAll(jobs.Select(EpilogAsync))).Where(r => r.Outcome != Outcome.Stopped).ToList();
            foreach (var reply in failed) Console.WriteLine($"[cleanup] the epilog of {reply.Job} answered {reply.Outcome}: {reply.Message}");
        }
        catch (Exception e) // best effort: the spec itself has already passed or failed
        {
            Console.WriteLine($"[cleanup] could not end every job of the spec: {e.Message}");
        }
    }

    /// <summary>How the stand-in tracer of one job behaves ("STANDIN_MODE=fail STANDIN_EXIT_CODE=3", see its header).</summary>
    public Task TracerBehaves(JobId job, string words) => File.WriteAllTextAsync(Sandbox.HostPath($"{ControlDir}/{job}"), words + "\n");

    public Task<ControlReply> PrologAsync(JobId job) => PrologAsync(job, ProbeFile);

    public Task<ControlReply> PrologAsync(JobId job, string probeFile) =>
        ControlClient.SendAsync(Socket, WrapperRequests.Start(job, AliceUid, probeFile), Patience);

    public Task<ControlReply> EpilogAsync(JobId job) =>
        ControlClient.SendAsync(Socket, WrapperRequests.Stop(job), Patience);

    /// <summary>The real datacrumbsctl on the host, talking to the daemon in the sandbox through the shared socket.</summary>
    public Task<Run.Result> CtlAsync(params string[] args) =>
        Run.CommandAsync(Built("datacrumbsctl"), args, Patience,
            new Dictionary<string, string?> { ["DATACRUMBS_SOCKET"] = Socket, ["FLUX_JOB_ID"] = null, ["FLUX_JOB_USERID"] = null });

    public string HostFile(string nameInRunDir) => Sandbox.HostPath($"{RunDir}/{nameInRunDir}");

    /// <summary>Every datacrumbs@ unit systemd still has loaded, in any state (ListUnits).</summary>
    public async Task<string[]> TracerUnitsAsync()
    {
        var r = (await Sandbox.ExecAsync("systemctl", "list-units", "--all", "--plain", "--no-legend", "datacrumbs@*")).EnsureSuccess("systemctl list-units");
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Files of jobs in the run dir: everything but the control sockets.</summary>
    public string[] RunDirLeftovers() =>
        Directory.EnumerateFileSystemEntries(Sandbox.HostPath(RunDir)).Select(Path.GetFileName).Where(n => n is not ("datacrumbsd.sock" or "hooks.sock")).ToArray()!;

    /// <summary>No tracer unit loaded, nothing of any job in the run dir, and the daemon never restarted unasked.</summary>
    public async Task AssertNothingLeftAsync()
    {
        Assert.Empty(await TracerUnitsAsync());
        Assert.Empty(RunDirLeftovers());
        var restarts = await ShowAsync(Daemon, "NRestarts");
        if (restarts != IntendedRestarts.ToString())
        {
            // Say why: a watchdog timeout, a crash, a kill. systemd and the daemon tell it in the journal.
            var story = await Sandbox.ExecAsync("journalctl", "--no-pager", "-o", "short-monotonic", "-u", Daemon, "-p", "warning", "-n", "40");
            Assert.Fail($"{Daemon} restarted {restarts} time(s); the specs restarted it {IntendedRestarts} time(s). The journal:\n{story.Stdout}");
        }
    }
}

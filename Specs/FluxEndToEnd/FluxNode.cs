using System.Diagnostics;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Unix;
using Datacrumbs.Specs.Flux;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.FluxEndToEnd;

/// <summary>
/// One compute node as Flux sees it: a real datacrumbsd (process backend, stand-in tracer)
/// whose FluxCommand is a stand-in `flux`, the same stand-in first on the hooks' PATH (for
/// `flux job raise`), and the real hook scripts from deploy/flux calling the real
/// datacrumbsctl, with the environment the job-manager gives a prolog.
/// </summary>
public sealed class FluxNode : IAsyncDisposable
{
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    public static readonly string DeployDir = FindDeployDir();
    private static long s_nextJob = 1_000_000 + Environment.ProcessId % 1000 * 1000;

    public DaemonProcess Daemon { get; }
    public StandInFlux Flux { get; }
    public string ProbeFile { get; }
    public string HookTmp { get; }
    /// <summary>The job's user: an ordinary account.</summary>
    public uint Uid { get; } = UnixAccounts.LookupUid("dcalice") ?? throw new InvalidOperationException("user dcalice is missing (.ci/run creates it)");

    private FluxNode(DaemonProcess daemon, StandInFlux flux)
    {
        Daemon = daemon;
        Flux = flux;
        ProbeFile = Path.Combine(daemon.WorkDir, "probes.json.gz");
        File.WriteAllBytes(ProbeFile, DaemonProcess.ValidProbes);
        HookTmp = Directory.CreateDirectory(Path.Combine(daemon.WorkDir, "hook-tmp")).FullName;
    }

    /// <summary>A node whose daemon has these settings on top of <see cref="DaemonProcess"/>'s test defaults.</summary>
    public static async Task<FluxNode> StartAsync(Dictionary<string, object>? settings = null)
    {
        var flux = await StandInFlux.CreateAsync("answer", """{"attributes":{"system":{}}}""");
        var all = new Dictionary<string, object>(settings ?? []) { ["FluxCommand"] = flux.Command };
        var daemon = await DaemonProcess.StartAsync(settings: all);
        return new FluxNode(daemon, flux);
    }

    /// <summary>A job id no other spec uses (the daemon remembers ended jobs' answers).</summary>
    public static JobId NewJob() => new((ulong)Interlocked.Increment(ref s_nextJob));

    public static string Jobspec(string datacrumbs) =>
        """{"version":1,"attributes":{"system":{"duration":0,"environment":{"HOME":"/home/alice"},"datacrumbs":""" + datacrumbs + """}},"tasks":[]}""";

    public string TracedJobspec(string? probeFile = null) => Jobspec($$"""{"enable":"yes","probe_file":"{{probeFile ?? ProbeFile}}"}""");

    /// <summary>The jobspec `flux job info JOB jobspec` prints for this job.</summary>
    public Task Submitted(JobId job, string jobspec) => Flux.AnswersFor(job.Value, jobspec);

    /// <summary>The prolog's environment as perilog.so builds it, for the job id in the given text form.</summary>
    /// <param name="socket">Where the hooks look for the daemon (default: this node's daemon).</param>
    public Dictionary<string, string?> HookEnvironment(string fluxJobId, string? policy = null, string? socket = null) => new()
    {
        ["PATH"] = Flux.Dir + ":" + Environment.GetEnvironmentVariable("PATH"),
        ["FLUX_JOB_ID"] = fluxJobId,
        ["FLUX_JOB_USERID"] = Uid.ToString(),
        ["FLUX_JOB_RANKS"] = "0-3",
        ["FLUX_URI"] = UriOf(fluxJobId),
        ["DATACRUMBSCTL"] = DaemonProcess.Ctl,
        ["DATACRUMBS_SOCKET"] = socket ?? Daemon.Socket,
        ["DATACRUMBS_ON_FAILURE"] = policy,
        // No spec here restarts the daemon: one that is down is given up after 1 s, not 15.
        ["DATACRUMBS_RETRY_FOR"] = "1",
        ["DATACRUMBS_FLUX"] = null,
        ["TMPDIR"] = HookTmp,
        // The client here is the JIT build, whose runtime leaves debugger pipes in TMPDIR when
        // signalled; the installed client is NativeAOT and has none.
        ["DOTNET_EnableDiagnostics"] = "0",
    };

    /// <summary>A broker URI unique to the job, so a spec can tell whose URI reached flux.</summary>
    public static string UriOf(string fluxJobId) => $"local:///tmp/flux-{Uri.EscapeDataString(fluxJobId)}/local-1";

    public Task<Run.Result> PrologAsync(string fluxJobId, string? policy = null, string? socket = null) =>
        Run.CommandAsync(Path.Combine(DeployDir, "datacrumbs_service_run.sh"), [], Generous, HookEnvironment(fluxJobId, policy, socket));

    public Task<Run.Result> EpilogAsync(string fluxJobId, string? policy = null, string? socket = null) =>
        Run.CommandAsync(Path.Combine(DeployDir, "datacrumbs_service_stop.sh"), [], Generous, HookEnvironment(fluxJobId, policy, socket));

    /// <summary>Starts the prolog hook without waiting, for specs that signal it.</summary>
    public (Process Hook, Task<string> Stdout) StartProlog(string fluxJobId)
    {
        var psi = new ProcessStartInfo(Path.Combine(DeployDir, "datacrumbs_service_run.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (k, v) in HookEnvironment(fluxJobId)) psi.Environment[k] = v;
        var hook = Process.Start(psi) ?? throw new InvalidOperationException("could not start the prolog hook");
        _ = hook.StandardError.ReadToEndAsync();
        return (hook, hook.StandardOutput.ReadToEndAsync());
    }

    /// <summary>The raises recorded for a job, by the id form the hook was given.</summary>
    public IReadOnlyList<string[]> RaisesFor(string fluxJobId) => Flux.Raises.Where(r => r.Length > 0 && r[^1] == fluxJobId).ToList();

    /// <summary>Files the job left in the run dir, and temp files the hooks left.</summary>
    public IReadOnlyList<string> LeftoversOf(JobId job) =>
        [.. Daemon.Leftovers().Where(n => n.Contains(job.ToString(), StringComparison.Ordinal)), .. Directory.EnumerateFileSystemEntries(HookTmp)];

    public string PidFile(JobId job) => Path.Combine(Daemon.RunDir, $"datacrumbs-{job}.pid");

    public int TracerPid(JobId job) => int.Parse(File.ReadAllText(PidFile(job)).Split(' ')[0]);

    public async ValueTask DisposeAsync()
    {
        await Daemon.DisposeAsync();
        Daemon.DeleteWorkDir();
        Flux.Dispose();
    }

    private static string FindDeployDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "deploy", "flux")))
                return Path.Combine(dir.FullName, "deploy", "flux");
        throw new InvalidOperationException("deploy/flux not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>xunit class fixture: one node with the default policy (continue) for a whole spec class.</summary>
public sealed class ContinueNode : IAsyncLifetime
{
    public FluxNode Node { get; private set; } = null!;
    public async Task InitializeAsync() => Node = await FluxNode.StartAsync();
    public async Task DisposeAsync() => await Node.DisposeAsync();
}

/// <summary>xunit class fixture: one node whose daemon's policy is `fail` (Flux cancels untraceable jobs).</summary>
public sealed class FailNode : IAsyncLifetime
{
    public FluxNode Node { get; private set; } = null!;
    public async Task InitializeAsync() => Node = await FluxNode.StartAsync(new() { ["OnFailure"] = "Fail" });
    public async Task DisposeAsync() => await Node.DisposeAsync();
}

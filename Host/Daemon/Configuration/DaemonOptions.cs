using Datacrumbs.Actors.Lifecycle;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Daemon.Configuration;

/// <summary>
/// The daemon's settings: /etc/datacrumbs/datacrumbsd.json, then environment variables
/// (DATACRUMBSD_RUNDIR, DATACRUMBSD_TIMEOUTS__READY, ...), then command-line flags.
/// Every field has a default that is right for a production node.
/// </summary>
public sealed class DaemonOptions
{
    /// <summary>Env files, ready files, probe copies and the control socket live here (root-owned).</summary>
    public string RunDir { get; set; } = "/run/datacrumbs";
    /// <summary>The control socket, for everyone (status); default &lt;RunDir&gt;/datacrumbsd.sock.</summary>
    public string? Socket { get; set; }
    /// <summary>
    /// The hooks' own socket: the same requests, but only root (and <see cref="HookSocketGroup"/>)
    /// may connect, so no ordinary user can fill its listen backlog; default &lt;RunDir&gt;/hooks.sock.
    /// </summary>
    public string? HookSocket { get; set; }
    /// <summary>Group allowed to connect to the hook socket (mode 0660), e.g. "flux" for the instance owner; none: root only (0600).</summary>
    public string? HookSocketGroup { get; set; }
    /// <summary>auto (systemd where it is PID 1, else process), systemd, or process.</summary>
    public BackendKind Backend { get; set; } = BackendKind.Auto;
    public const string DefaultTracer = "/usr/libexec/datacrumbs/datacrumbs-tracer";

    /// <summary>
    /// The tracer command for the process backend (default <see cref="DefaultTracer"/>); the probe
    /// file and run id are appended. Empty by default because configuration binding appends to lists.
    /// </summary>
    public List<string> Tracer { get; set; } = [];
    /// <summary>Extra variables for the tracer under the process backend.</summary>
    public Dictionary<string, string> TracerEnvironment { get; set; } = new();
    /// <summary>
    /// Seconds between SIGINT and SIGKILL when the process backend stops a tracer: the runtime drains
    /// its maps and closes the gzip trace on SIGINT, which takes a while for a busy job. Matches the
    /// unit's TimeoutStopSec; Timeouts:Stop must be above it.
    /// </summary>
    public double KillAfterSeconds { get; set; } = TimeBudget.TracerStop.TotalSeconds;
    public TimeoutOptions Timeouts { get; set; } = new();
    public FailurePolicy OnFailure { get; set; } = FailurePolicy.Continue;
    /// <summary>Users (names or uids) besides root allowed to start and stop tracing: the Flux instance owner, e.g. "flux".</summary>
    public List<string> AllowedCallers { get; set; } = [];
    /// <summary>Where the jobspec comes from: the flux command (run with the prolog's FLUX_URI).</summary>
    public string FluxCommand { get; set; } = "flux";
    /// <summary>Read jobspecs through libflux-core (the FluxCommand install's) instead of running FluxCommand; falls back to the command when the library is absent.</summary>
    public bool FluxLibrary { get; set; } = true;
    public ProbeOptions Probes { get; set; } = new();
    /// <summary>
    /// The runtime's trace directory pattern (its DATACRUMBS_TRACE_DIR_PATTERN: %YY%, %MM%, %DD%
    /// are the date the tracer started), so the daemon can tell the user where the trace is. Set it
    /// to what the site's runtime was built or configured with.
    /// </summary>
    public string TraceDirPattern { get; set; } = Traces.TraceFileLocation.DefaultDirPattern;
    public MetricsOptions Metrics { get; set; } = new();
    /// <summary>Open control connections of ordinary users served at once (root and AllowedCallers are never refused); more are answered "busy".</summary>
    public int MaxConnections { get; set; } = 1024;
    /// <summary>Open control connections one ordinary user may hold.</summary>
    public int MaxConnectionsPerUser { get; set; } = 32;
    /// <summary>Seconds a client has to send its request after connecting.</summary>
    public double RequestReadSeconds { get; set; } = 5;
    /// <summary>Ended jobs whose answers are kept for late duplicate prologs and epilogs.</summary>
    public int RememberEndedJobs { get; set; } = 4096;
    /// <summary>Seconds without requests after which the daemon gives the heap a burst grew back to the node; 0: never.</summary>
    public double IdleTrimSeconds { get; set; } = 30;

    /// <summary>auto (the journal where it exists), journal, or console.</summary>
    public LogTarget Log { get; set; } = LogTarget.Auto;
    /// <summary>The journal's native socket (default /run/systemd/journal/socket).</summary>
    public string? JournalSocket { get; set; }

    public string SocketPath => Socket ?? Path.Combine(RunDir, "datacrumbsd.sock");
    public string HookSocketPath => HookSocket ?? Path.Combine(RunDir, "hooks.sock");

    public sealed class TimeoutOptions
    {
        public double Resolve { get; set; } = TimeBudget.Resolve.TotalSeconds;
        public double WriteEnv { get; set; } = TimeBudget.WriteEnv.TotalSeconds;
        public double Start { get; set; } = TimeBudget.Start.TotalSeconds;
        public double Ready { get; set; } = TimeBudget.Ready.TotalSeconds;
        /// <summary>Above the tracer's own stop timeout (TimeoutStopSec=300s, KillAfterSeconds), so its SIGKILL lands first.</summary>
        public double Stop { get; set; } = TimeBudget.Stop.TotalSeconds;

        public LifecycleTimeouts ToLifecycle() => new()
        {
            Resolve = TimeSpan.FromSeconds(Resolve),
            WriteEnv = TimeSpan.FromSeconds(WriteEnv),
            Start = TimeSpan.FromSeconds(Start),
            Ready = TimeSpan.FromSeconds(Ready),
            Stop = TimeSpan.FromSeconds(Stop),
        };
    }

    public sealed class ProbeOptions
    {
        /// <summary>
        /// Only probe files signed by the site's signer reach the tracer. Turn off only where no
        /// signer exists yet (demos, test clusters): the tracer then runs any probes a user names.
        /// </summary>
        public bool RequireSignature { get; set; } = true;
        /// <summary>The site probe secret, where the DataCrumbs runtime reads it (64 hex characters, root, 0400).</summary>
        public string SecretFile { get; set; } = Datacrumbs.Messages.Probes.ProbeSecret.RuntimeDefaultPath;
        /// <summary>Accept files without summary.uid (older upstream signers) when their summary.user is the job's user.</summary>
        public bool AcceptFilesWithoutUid { get; set; }
        public long MaxFileBytes { get; set; } = 4 * 1024 * 1024;
        /// <summary>The whole JSON is parsed before the checksum can be checked: twice what our signer signs by default.</summary>
        public int MaxDecompressedBytes { get; set; } = 2 * 1024 * 1024;
        /// <summary>JSON values a document may hold (each costs tens of bytes once parsed, before the checksum is known).</summary>
        public int MaxJsonValues { get; set; } = 256 * 1024;
        /// <summary>Probe files of one user read and checked at once; that user's other jobs wait their turn.</summary>
        public int AdmissionsPerUser { get; set; } = 2;
        /// <summary>Documents decompressed and parsed at once over all users (each bounded by the two limits above).</summary>
        public int ChecksAtOnce { get; set; } = 2;
        /// <summary>Reading the file as the job's user: a FIFO or a hung file system stops here.</summary>
        public double ReadTimeoutSeconds { get; set; } = 5;
        public double ClockSkewSeconds { get; set; } = 300;
    }

    public sealed class MetricsOptions
    {
        /// <summary>
        /// node_exporter's textfile collector directory (Debian's prometheus-node-exporter reads this one);
        /// empty: no metrics. When the directory does not exist, no metrics are written either.
        /// </summary>
        public string TextfileDirectory { get; set; } = "/var/lib/prometheus/node-exporter";
        /// <summary>Seconds from a change to the write that carries it: a burst of changes is one write.</summary>
        public double WriteDelaySeconds { get; set; } = 1;
    }

    /// <summary>Refuses settings that cannot work, with the key to fix.</summary>
    public void Validate()
    {
        if (!Path.IsPathFullyQualified(RunDir)) throw new InvalidOperationException($"RunDir must be an absolute path, not '{RunDir}'");
        if (!Path.IsPathFullyQualified(TraceDirPattern)) throw new InvalidOperationException($"TraceDirPattern must be an absolute path (the runtime's DATACRUMBS_TRACE_DIR_PATTERN), not '{TraceDirPattern}'");
        if (Tracer.Count == 0) Tracer.Add(DefaultTracer);
        if (string.IsNullOrWhiteSpace(Tracer[0])) throw new InvalidOperationException("Tracer must name the tracer command");
        foreach (var (name, value) in new[] { ("Resolve", Timeouts.Resolve), ("WriteEnv", Timeouts.WriteEnv), ("Start", Timeouts.Start), ("Ready", Timeouts.Ready), ("Stop", Timeouts.Stop), ("KillAfterSeconds", KillAfterSeconds), ("RequestReadSeconds", RequestReadSeconds) })
            if (value <= 0 || value > 24 * 3600) throw new InvalidOperationException($"timeout {name} must be between 0 and 86400 seconds, not {value}");
        if (IdleTrimSeconds < 0 || IdleTrimSeconds > 24 * 3600) throw new InvalidOperationException($"IdleTrimSeconds must be between 0 (never) and 86400, not {IdleTrimSeconds}");
        if (Metrics.WriteDelaySeconds <= 0 || Metrics.WriteDelaySeconds > 3600) throw new InvalidOperationException($"Metrics:WriteDelaySeconds must be between 0 and 3600, not {Metrics.WriteDelaySeconds}");
        if (MaxConnections < 1 || MaxConnectionsPerUser < 1) throw new InvalidOperationException("MaxConnections and MaxConnectionsPerUser must be at least 1");
        if (Probes.AdmissionsPerUser < 1 || Probes.ChecksAtOnce < 1) throw new InvalidOperationException("Probes:AdmissionsPerUser and Probes:ChecksAtOnce must be at least 1");
        if (Probes.MaxJsonValues < 16 || Probes.MaxDecompressedBytes < 1024) throw new InvalidOperationException("Probes:MaxJsonValues must be at least 16 and Probes:MaxDecompressedBytes at least 1024");
    }
}

using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Systemd;

/// <summary>
/// The real <c>deploy/systemd/datacrumbs@.service</c>, installed verbatim into a sandboxed
/// systemd, with the installer's tracer symlink pointing at the stand-in tracer, and what the
/// daemon would write for a job: the env file and a probe file. Per-job tracer behaviour goes
/// through <c>STANDIN_CONTROL_DIR</c> (a drop-in sets it to /run/standin).
/// </summary>
public sealed class TracerUnits(SystemdSandbox sandbox)
{
    public const string RunDir = "/run/datacrumbs";
    private const string ControlDir = "/run/standin";
    private const string ProbeFile = RunDir + "/probes-under-test.json.gz";
    /// <summary>The site secret the stand-in verifies the probe file with (where the runtime's build would put it, here in the sandbox).</summary>
    private const string SecretFile = "/run/standin-secret";
    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    public SystemdSandbox Sandbox => sandbox;

    public async Task InstallAsync()
    {
        await InstallGate.WaitAsync();
        try
        {
            if (File.Exists(Path.Combine(sandbox.UnitDir, "datacrumbs@.service"))) return;
            Directory.CreateDirectory(sandbox.HostPath(RunDir));
            Directory.CreateDirectory(sandbox.HostPath(ControlDir));
            // A probe file the real runtime would accept: signed with the site secret, schema 2.
            var secret = Probes.ProbeFixtures.NewSecretHex();
            Probes.ProbeFixtures.WriteSecretFile(sandbox.HostPath(SecretFile), secret);
            await File.WriteAllBytesAsync(sandbox.HostPath(ProbeFile),
                Probes.ProbeFixtures.SignFor(TestUsers.Alice.Uid, "dcalice", Probes.ProbeFixtures.Secret(secret), validity: TimeSpan.FromDays(1)));

            // What the installer does: point the fixed tracer path at the configured tracer.
            (await sandbox.ExecAsync("mkdir", "-p", "/usr/libexec/datacrumbs")).EnsureSuccess("mkdir /usr/libexec/datacrumbs");
            (await sandbox.ExecAsync("ln", "-sfn", StandInTracer, "/usr/libexec/datacrumbs/datacrumbs-tracer")).EnsureSuccess("ln tracer");

            Directory.CreateDirectory(Path.Combine(sandbox.UnitDir, "datacrumbs@.service.d"));
            await File.WriteAllTextAsync(Path.Combine(sandbox.UnitDir, "datacrumbs@.service.d", "standin.conf"),
                $"[Service]\nEnvironment=STANDIN_CONTROL_DIR={ControlDir} STANDIN_SECRET_FILE={SecretFile} STANDIN_RUN_DIR={RunDir}\n");
            await sandbox.InstallUnitAsync("datacrumbs@.service", await File.ReadAllTextAsync(RepoFile("deploy/systemd/datacrumbs@.service")));
        }
        finally
        {
            InstallGate.Release();
        }
    }

    public static JobId NewJob() => new((ulong)Random.Shared.NextInt64(1, long.MaxValue));

    /// <summary>Writes what the daemon writes before starting the unit; <paramref name="standin"/> sets the tracer's mode.</summary>
    public async Task PrepareAsync(JobId job, string standin = "STANDIN_MODE=ready")
    {
        var env = TracerEnvironment.For(new JobRequest(job, TestUsers.Alice.Uid), new JobMetadata("dcalice", new TracingRequest("yes", ProbeFile)), ProbeFile, ReadyFile(job));
        await File.WriteAllLinesAsync(sandbox.HostPath($"{RunDir}/{JobNames.EnvFile(job)}"), env.Variables.Select(v => $"{v.Key}={v.Value}"));
        await File.WriteAllTextAsync(sandbox.HostPath($"{ControlDir}/{job}"), standin + "\n");
    }

    /// <summary>An instance-only drop-in, e.g. a short TimeoutStopSec for one job.</summary>
    public async Task AddInstanceDropInAsync(JobId job, string serviceSection)
    {
        var dir = Path.Combine(sandbox.UnitDir, JobNames.Unit(job) + ".d");
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "test.conf"), $"[Service]\n{serviceSection}\n");
        (await sandbox.ExecAsync("systemctl", "daemon-reload")).EnsureSuccess("systemctl daemon-reload");
    }

    public static string ReadyFile(JobId job) => $"{RunDir}/{JobNames.ReadyFile(job)}";
    public string ReadyFileOnHost(JobId job) => sandbox.HostPath(ReadyFile(job));

    /// <summary>systemd's own view, by systemctl inside the sandbox (not through the code under test).</summary>
    public async Task<string> ShowAsync(JobId job, string property) =>
        (await sandbox.ExecAsync("systemctl", "show", "-P", property, JobNames.Unit(job))).Stdout.Trim();

    /// <summary>Every datacrumbs@ unit systemd has loaded in any state other than inactive.</summary>
    public async Task<string[]> LingeringUnitsAsync()
    {
        var r = await sandbox.ExecAsync("systemctl", "list-units", "--all", "--plain", "--no-legend", "--state=active,activating,deactivating,reloading,failed", "datacrumbs@*");
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>systemd's account of one unit, for a failure message: its status, pending jobs and the processes of its cgroup.</summary>
    public async Task<string> DescribeAsync(JobId job)
    {
        var status = await sandbox.ExecAsync("systemctl", "status", "--no-pager", "--lines=20", JobNames.Unit(job));
        var jobs = await sandbox.ExecAsync("systemctl", "list-jobs", "--no-pager");
        var processes = await sandbox.ExecAsync("ps", "-e", "-o", "pid,ppid,stat,wchan:24,args");
        return $"systemctl status:\n{status.Stdout}{status.Stderr}\nsystemctl list-jobs:\n{jobs.Stdout}\nprocesses:\n{processes.Stdout}";
    }

    private static string StandInTracer
    {
        get
        {
            var built = Path.Combine(AppContext.BaseDirectory, "datacrumbs-standin-tracer");
            return File.Exists(built) ? built : RepoFile("Host/StandInTracer/datacrumbs-standin-tracer");
        }
    }

    public static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "datacrumbs.sln"))) return Path.Combine(dir.FullName, relative);
        throw new FileNotFoundException($"no datacrumbs.sln above {AppContext.BaseDirectory}");
    }
}

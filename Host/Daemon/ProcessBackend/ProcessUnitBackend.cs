using System.Collections.Concurrent;
using System.Diagnostics;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Files;
using Datacrumbs.Daemon.Native;
using Datacrumbs.Messages.Jobs;
using Microsoft.Extensions.Logging;

namespace Datacrumbs.Daemon.ProcessBackend;

/// <summary>
/// The embedded backend, for machines where systemd is not PID 1 (containers, laptops, CI, the
/// demo): the daemon runs the tracer itself, the way <c>datacrumbs@.service</c> would. The tracer
/// gets a clean environment plus the job's env file, runs in its own session and process group
/// (started through <c>setsid</c>) so that a stop reaches every process it forked, and is
/// started as the DataCrumbs runtime is (<c>datacrumbs &lt;probes&gt; &lt;run-id&gt; &lt;user&gt;</c>) and stopped as it
/// must be: SIGINT, the only signal on which the runtime finalizes its trace, then SIGKILL after
/// <see cref="ProcessBackendOptions.KillAfter"/>.
/// A pid file (pid and start time) lets a restarted daemon stop tracers it did not start.
/// </summary>
public sealed class ProcessUnitBackend(ProcessBackendOptions options, EnvFileStore envFiles, ILogger<ProcessUnitBackend> log)
    : IUnitBackend, IDisposable
{
    private const string PidSuffix = ".pid";
    private readonly ConcurrentDictionary<JobId, Tracer> _running = new();

    public string Name => "process";

    public async Task<RunningUnit> StartAsync(JobId job, CancellationToken ct)
    {
        var environment = envFiles.Read(job);
        var probeFile = environment[TracerEnvironment.ProbeFileKey] ?? throw new InvalidOperationException("env file has no DATACRUMBS_PROBE_FILE");
        var runId = environment[TracerEnvironment.ServiceRunIdKey] ?? environment[TracerEnvironment.RunIdKey] ?? job.ToString();
        var user = environment[TracerEnvironment.UserKey] ?? throw new InvalidOperationException("env file has no DATACRUMBS_USER");

        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in options.Tracer) start.ArgumentList.Add(arg);
        start.ArgumentList.Add(probeFile);
        start.ArgumentList.Add(runId);
        start.ArgumentList.Add(user);
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var (key, value) in options.Environment) start.Environment[key] = value;
        foreach (var (key, value) in environment.Variables) start.Environment[key] = value;

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource<UnitExit>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exited.TrySetResult(new UnitExit(Describe(process)));
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.LogInformation("{JobId}: tracer: {TracerOutput}", job, e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.LogInformation("{JobId}: tracer: {TracerOutput}", job, e.Data); };

        ct.ThrowIfCancellationRequested();
        if (!process.Start()) throw new InvalidOperationException($"could not start {options.Tracer[0]}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var tracer = new Tracer(process, process.Id, exited.Task);
        _running[job] = tracer;
        _ = exited.Task.ContinueWith(_ => Forget(job, tracer), TaskScheduler.Default);
        if (ProcessIdentity.Of(tracer.Pid) is { } identity)
            await AtomicFile.WriteAsync(PidFile(job), System.Text.Encoding.ASCII.GetBytes(identity.ToString()),
                UnixFileMode.UserRead | UnixFileMode.UserWrite, CancellationToken.None);
        log.LogDebug("{JobId}: started tracer pid {Pid}", job, tracer.Pid);
        return new RunningUnit($"{Path.GetFileName(options.Tracer[0])}[{tracer.Pid}]", exited.Task);
    }

    public async Task StopAsync(JobId job, CancellationToken ct)
    {
        if (_running.TryGetValue(job, out var tracer))
            await StopGroupAsync(tracer.Pid, tracer.Exited, ct);
        else if (ReadPidFile(job) is null && File.Exists(envFiles.PathOf(job)))
            await StopUnrecordedAsync(job, ct);
        else if (ReadPidFile(job) is { } orphan)
        {
            if (orphan.IsAlive) await StopGroupAsync(orphan.Pid, ProcessExit.WaitAsync(orphan, ct), ct);
            else if (LeaderPidIsFree(orphan))
                // The leader died while no daemon watched it, but what it forked may live on. While any member
                // of its group lives, the kernel gives nobody else its pid: with the pid free the group is still the tracer's.
                Libc.SignalGroup(orphan.Pid, Libc.SIGKILL);
        }
        File.Delete(PidFile(job));
    }

    public Task<IReadOnlyList<JobId>> ListAsync(CancellationToken ct)
    {
        var alive = Directory.EnumerateFiles(options.RunDir, JobNames.FilePrefix + "*" + PidSuffix)
            .Select(Path.GetFileName)
            .Select(name => JobNames.TryParseFile(name!, PidSuffix, out var id) ? id : (JobId?)null)
            .OfType<JobId>()
            .Where(job => _running.ContainsKey(job) || ReadPidFile(job) is { IsAlive: true })
            .ToList();
        return Task.FromResult<IReadOnlyList<JobId>>(alive);
    }

    /// <summary>
    /// Not followed here. A tracer this backend started writes its output to pipes read by the daemon that
    /// started it; once that daemon is gone, the tracer's next line kills it (SIGPIPE), so an adopted
    /// tracer may die right after its ready file, and following it turned that into a failed job
    /// (CrashRestartSpec, caught in a CI rehearsal). Until the tracer's output outlives the daemon
    /// (a per-job log file, or a relay of its own), an adopted tracer is found at its epilog, as before.
    /// </summary>
    public Task<UnitExit> FollowAdoptedAsync(JobId job, CancellationToken ct) =>
        new TaskCompletionSource<UnitExit>().Task.WaitAsync(ct); // never ends; cancelled with the lifecycle

    /// <summary>
    /// SIGINT to the group (the runtime finalizes its trace), SIGKILL after the grace period, SIGKILL again for any straggler the
    /// leader left, and only then done: when no process of the group is alive.
    /// </summary>
    private async Task StopGroupAsync(int group, Task leaderExited, CancellationToken ct)
    {
        if (!Libc.SignalGroup(group, Libc.SIGINT)) return;
        try
        {
            await leaderExited.WaitAsync(options.KillAfter, ct);
        }
        catch (TimeoutException)
        {
            log.LogWarning("tracer group {Pid} did not finish on SIGINT within {Seconds} s; sending SIGKILL (its trace is likely truncated)", group, options.KillAfter.TotalSeconds);
            Libc.SignalGroup(group, Libc.SIGKILL);
            await leaderExited.WaitAsync(ct);
        }
        if (Libc.SignalGroup(group, Libc.SIGKILL)) await ProcessGroup.WaitEmptyAsync(group, ct);
    }

    private void Forget(JobId job, Tracer tracer)
    {
        _running.TryRemove(new KeyValuePair<JobId, Tracer>(job, tracer));
        // The leader is gone; whatever it forked must not outlive it. Its group id cannot have been
        // reused while any member lives, so this reaches only the tracer's own stragglers.
        try { Libc.SignalGroup(tracer.Pid, Libc.SIGKILL); }
        catch (InvalidOperationException e) { log.LogWarning("{JobId}: could not kill the tracer's process group: {Cause}", job, e.Message); }
        // The exit can be seen before the tracer's last lines are read from its pipes (a crashed tracer's last
        // words matter most): let them reach the log, within a bound, before the pipes are closed.
        var drained = new CancellationTokenSource(OutputDrainTimeout);
        tracer.Process.WaitForExitAsync(drained.Token).ContinueWith(_ =>
        {
            tracer.Process.Dispose();
            drained.Dispose();
        }, TaskScheduler.Default);
    }

    private static readonly TimeSpan OutputDrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A daemon killed between starting a tracer and writing its pid file leaves a tracer that no file
    /// names (the env file is written before the start, so it tells that a start may have happened).
    /// Such a tracer is found by the ready file in its environment, which only this run dir's tracer
    /// of this job has, and its whole group is stopped.
    /// </summary>
    private async Task StopUnrecordedAsync(JobId job, CancellationToken ct)
    {
        var marker = $"{TracerEnvironment.ReadyFileKey}={Path.Combine(options.RunDir, JobNames.ReadyFile(job))}";
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid <= 1) continue;
            try
            {
                if (!File.ReadAllText(Path.Combine(dir, "environ")).Split('\0').Contains(marker)) continue;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; } // gone, or not ours
            // The tracer leads its own group (setsid); what it forked carries the same environment and group.
            if (ProcessIdentity.Of(pid) is not { } identity || Libc.getpgid(pid) != pid) continue;
            log.LogWarning("{JobId}: found tracer pid {Pid} with no pid file (a start cut off by a daemon restart); stopping it", job, pid);
            await StopGroupAsync(pid, ProcessExit.WaitAsync(identity, ct), ct);
        }
    }

    /// <summary>No process has the leader's pid, or only the leader's own zombie (same start time) still waiting to be reaped.</summary>
    private static bool LeaderPidIsFree(ProcessIdentity leader)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{leader.Pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[0] is "Z" or "X" && fields[19] == leader.StartTime.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException) { return true; } // no such process
    }

    private string PidFile(JobId job) => Path.Combine(options.RunDir, JobNames.FilePrefix + job + PidSuffix);

    private ProcessIdentity? ReadPidFile(JobId job)
    {
        try
        {
            return ProcessIdentity.TryParse(File.ReadAllText(PidFile(job)), out var identity) ? identity : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string Describe(Process process)
    {
        var code = process.ExitCode;
        return code > 128 ? $"tracer killed by signal {code - 128}" : $"tracer exited with code {code}";
    }

    public void Dispose()
    {
        foreach (var tracer in _running.Values) tracer.Process.Dispose();
    }

    private sealed record Tracer(Process Process, int Pid, Task<UnitExit> Exited);
}

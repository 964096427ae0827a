using System.Diagnostics;
using System.Text.Json;
using Datacrumbs.Benchmarks.Common;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Benchmarks.Systemd;

/// <summary>
/// Under a real systemd (the sandbox: systemd as PID 1, journald, the system bus): datacrumbsd
/// runs inside with its D-Bus backend and the real datacrumbs@.service (stand-in tracer, 250 ms
/// to ready); the real prolog hook calls it from the host through the shared /run. Side by side,
/// the reference hook runs inside: printenv, `systemctl start`, `sleep 1` polling.
/// </summary>
public sealed class SystemdRun(BenchResults results, string ctl, int samples)
{
    private const int TracerMs = 250;
    private const string Bench = "/run/bench";
    private SystemdSandbox _sandbox = null!;
    private uint _uid;

    public async Task RunAsync(int runs)
    {
        _sandbox = await SystemdSandbox.StartAsync();
        try
        {
            await MeasureAsync(runs);
        }
        finally
        {
            await _sandbox.DisposeAsync();
        }
    }

    private async Task MeasureAsync(int runs)
    {
        _uid = Messages.Unix.UnixAccounts.LookupUid("dcalice") ?? throw new InvalidOperationException("no user dcalice");
        await InstallAsync();
        using var daemon = await StartDaemonAsync();
        try
        {
            var next = (ulong)Random.Shared.NextInt64(1L << 20, 1L << 40);
            for (var i = 0; i < 3; i++) await OursAsync(new JobId(next++)); // warm-up
            for (var run = 1; run <= runs; run++)
            {
                Console.WriteLine($"systemd run {run}/{runs}");
                var ours = new List<double>();
                var reference = new List<double>();
                for (var i = 0; i < samples; i++) ours.Add(await OursAsync(new JobId(next++)) - TracerMs);
                for (var i = 0; i < Math.Max(3, samples / 3); i++) reference.Add(await ReferenceAsync(new JobId(next++)) - TracerMs);
                results.Add("systemd.ours_p50", $"systemd: prolog hook overhead via datacrumbsd's D-Bus backend, {TracerMs} ms tracer, p50", "ms", Stats.Median(ours));
                results.Add("systemd.ref_p50", $"systemd: reference (systemctl start + sleep 1 polling) overhead, {TracerMs} ms tracer, p50", "ms", Stats.Median(reference));
                results.Add("systemd.ratio", "systemd: our overhead / reference overhead, p50", "x", Stats.Median(ours) / Stats.Median(reference));
                results.AddSeries("systemd.ours", ours);
                results.AddSeries("systemd.ref", reference);
            }
        }
        finally
        {
            if (!daemon.HasExited) daemon.Kill(entireProcessTree: true);
        }
    }

    private async Task InstallAsync()
    {
        var bench = _sandbox.HostPath(Bench);
        Directory.CreateDirectory(bench);
        Directory.CreateDirectory(_sandbox.HostPath("/run/standin"));
        foreach (var (from, name) in new[] { (Paths.StandInTracer, "datacrumbs-standin-tracer"),
                     (Paths.Reference("datacrumbs_service_run.sh"), "ref_run.sh"), (Paths.Reference("datacrumbs_service_stop.sh"), "ref_stop.sh") })
        {
            File.Copy(from, Path.Combine(bench, name), overwrite: true);
            File.SetUnixFileMode(Path.Combine(bench, name), (UnixFileMode)0b111_101_101);
        }
        SignedProbes.Write(Path.Combine(bench, "probe-secret"), Path.Combine(bench, "probes.json.gz"), _uid, "dcalice");
        await File.WriteAllTextAsync(Path.Combine(bench, "jobspec.json"),
            "{\"attributes\":{\"system\":{\"datacrumbs\":{\"enable\":\"yes\",\"probe_file\":\"" + Bench + "/probes.json.gz\"}}}}");
        await File.WriteAllTextAsync(Path.Combine(bench, "flux"), $"#!/bin/sh\nexec cat {Bench}/jobspec.json\n");
        File.SetUnixFileMode(Path.Combine(bench, "flux"), (UnixFileMode)0b111_101_101);

        // What the installer does: the fixed tracer path points at the site's tracer.
        (await _sandbox.ExecAsync("mkdir", "-p", "/usr/libexec/datacrumbs")).EnsureSuccess("in the sandbox");
        (await _sandbox.ExecAsync("ln", "-sfn", $"{Bench}/datacrumbs-standin-tracer", "/usr/libexec/datacrumbs/datacrumbs-tracer")).EnsureSuccess("in the sandbox");
        Directory.CreateDirectory(Path.Combine(_sandbox.UnitDir, "datacrumbs@.service.d"));
        await File.WriteAllTextAsync(Path.Combine(_sandbox.UnitDir, "datacrumbs@.service.d", "standin.conf"),
            $"[Service]\nEnvironment=STANDIN_CONTROL_DIR=/run/standin STANDIN_SECRET_FILE={Bench}/probe-secret\n");
        File.Copy(Path.Combine(Paths.RepoRoot, "deploy", "systemd", "datacrumbs@.service"), Path.Combine(_sandbox.UnitDir, "datacrumbs@.service"), overwrite: true);
        (await _sandbox.ExecAsync("systemctl", "daemon-reload")).EnsureSuccess("in the sandbox");
    }

    private async Task<Process> StartDaemonAsync()
    {
        var config = new Dictionary<string, object>
        {
            ["RunDir"] = "/run/datacrumbs",
            ["Backend"] = "Systemd",
            ["Log"] = "Console",
            ["FluxCommand"] = $"{Bench}/flux",
            ["Probes"] = new Dictionary<string, object> { ["RequireSignature"] = true, ["SecretFile"] = $"{Bench}/probe-secret" },
        };
        await File.WriteAllTextAsync(_sandbox.HostPath($"{Bench}/datacrumbsd.json"), JsonSerializer.Serialize(config));
        var line = _sandbox.Inside(Paths.Daemon, "--config", $"{Bench}/datacrumbsd.json");
        var start = new ProcessStartInfo(line[0], line[1..]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        var process = new Process { StartInfo = start };
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Seen(string? l)
        {
            if (l is null) return;
            if (l.Contains("datacrumbsd ready")) ready.TrySetResult();
            if (l.Contains(" ERR ") || l.Contains(" WRN ") || !ready.Task.IsCompleted) Console.WriteLine($"  datacrumbsd (sandbox): {l}");
        }
        process.OutputDataReceived += (_, e) => Seen(e.Data);
        process.ErrorDataReceived += (_, e) => Seen(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60))) != ready.Task)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("datacrumbsd in the sandbox did not become ready");
        }
        return process;
    }

    private string Socket => _sandbox.HostPath("/run/datacrumbs/datacrumbsd.sock");

    private async Task<double> OursAsync(JobId job)
    {
        await File.WriteAllTextAsync(_sandbox.HostPath($"/run/standin/{job}"), $"STANDIN_MODE=ready STANDIN_DELAY_MS={TracerMs}\n");
        var env = new Dictionary<string, string?>
        {
            ["FLUX_JOB_ID"] = job.ToString(), ["FLUX_JOB_USERID"] = _uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["FLUX_URI"] = null, ["DATACRUMBSCTL"] = ctl, ["DATACRUMBS_SOCKET"] = Socket, ["DATACRUMBS_FLUX"] = "/bin/true",
        };
        var r = await Timed.RunAsync(ctl, Paths.PrologHookArgs, env);
        if (r.ExitCode != 0 || !r.Stdout.Contains(": ready:")) throw new InvalidOperationException($"prolog under systemd failed: {r.Stdout} {r.Stderr}");
        var stop = await ControlClient.SendAsync(Socket, new ControlRequest { Op = Operation.Epilog, Job = job.ToString() }, TimeSpan.FromMinutes(2));
        if (stop.Outcome != Outcome.Stopped) throw new InvalidOperationException($"epilog under systemd: {stop.Message}");
        return r.Ms;
    }

    private async Task<double> ReferenceAsync(JobId job)
    {
        await File.WriteAllTextAsync(_sandbox.HostPath($"/run/standin/{job}"), $"STANDIN_MODE=ready STANDIN_DELAY_MS={TracerMs}\n");
        var env = new Dictionary<string, string?>
        {
            ["FLUX_JOB_ID"] = job.ToString(), ["FLUX_JOB_USERID"] = _uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DATACRUMBS_FLUX"] = $"{Bench}/flux", ["DATACRUMBS_RUN_DIR"] = "/run/datacrumbs", ["REFERENCE_BACKEND"] = "systemd",
        };
        var run = _sandbox.Inside("bash", $"{Bench}/ref_run.sh");
        var r = await Timed.RunAsync(run[0], run[1..], env);
        if (r.ExitCode != 0 || !r.Stdout.Contains(": ready")) throw new InvalidOperationException($"reference prolog under systemd failed: {r.Stdout} {r.Stderr}");
        var stop = _sandbox.Inside("bash", $"{Bench}/ref_stop.sh");
        await Timed.RunAsync(stop[0], stop[1..], env);
        return r.Ms;
    }
}

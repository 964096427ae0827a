using System.Diagnostics;
using System.Globalization;
using Datacrumbs.Daemon.Configuration;
using Datacrumbs.Daemon.Hosting;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Microsoft.Extensions.Hosting;
using Serilog.Events;

namespace Datacrumbs.Daemon.Demo;

/// <summary>
/// `datacrumbsd demo`: the whole node agent on the embedded default, in a temporary run dir.
/// Starts the daemon with the process backend and the stand-in tracer, drives concurrent jobs
/// through the service wrapper's path (prolog with fabricated metadata, then epilog) over the
/// real control socket, some of them told to fail or never become ready, and prints each job's
/// answers and timings, a summary, and what was left behind (nothing, if all is well).
/// </summary>
public static class DemoRun
{
    public static async Task<int> RunAsync(int jobCount, int tracerDelayMs, TextWriter output, CancellationToken ct)
    {
        var workDir = Directory.CreateTempSubdirectory("datacrumbs-demo-").FullName;
        var runDir = Path.Combine(workDir, "run");
        var controlDir = Path.Combine(workDir, "standin-control");
        Directory.CreateDirectory(controlDir);
        var probeFile = Path.Combine(workDir, "probes.json.gz");
        var secretFile = Path.Combine(workDir, "probe-secret");
        await File.WriteAllBytesAsync(probeFile, DemoProbes.WriteSecretAndSign(secretFile), ct);

        var options = new DaemonOptions
        {
            RunDir = runDir,
            Backend = BackendKind.Process,
            Tracer = [Path.Combine(AppContext.BaseDirectory, "datacrumbs-standin-tracer")],
            TracerEnvironment = new()
            {
                ["STANDIN_DELAY_MS"] = tracerDelayMs.ToString(CultureInfo.InvariantCulture), ["STANDIN_CONTROL_DIR"] = controlDir,
                // What the runtime's build fixes: where its secret is and where it writes ready files.
                ["STANDIN_SECRET_FILE"] = secretFile, ["STANDIN_RUN_DIR"] = runDir,
            },
            // 32 stand-ins each verify the document (python3) at once: on a busy 2-core machine the
            // ready ones took up to about 4 s, so the never-ready ones are given up at 15 s.
            Timeouts = new DaemonOptions.TimeoutOptions { Ready = 15, Stop = 5 },
            KillAfterSeconds = 1,
            AllowedCallers = [],
            // The demo signs its own file with its own secret; the daemon checks it and the stand-in checks it again.
            Probes = new DaemonOptions.ProbeOptions { SecretFile = secretFile },
            // The demo's metrics are not the node's: never into node_exporter's directory.
            Metrics = new DaemonOptions.MetricsOptions { TextfileDirectory = "" },
        };
        options.Validate();

        var jobs = Enumerable.Range(0, jobCount).Select(i => new DemoJob(new JobId(1_000_000UL + (ulong)i * 7919), Behaviour(i))).ToList();
        foreach (var job in jobs.Where(j => j.Behaviour != "ready"))
            await File.WriteAllTextAsync(Path.Combine(controlDir, job.Id.ToString()), $"STANDIN_MODE={job.Behaviour}\n", ct);

        output.WriteLine($"datacrumbs demo: {jobCount} concurrent jobs, process backend, stand-in tracer ready after {tracerDelayMs} ms");
        output.WriteLine($"run dir {runDir}");
        using var host = DaemonHost.Build(options, LogEventLevel.Warning);
        await host.StartAsync(ct);
        var uid = Messages.Unix.UnixAccounts.EffectiveUid();
        var total = Stopwatch.StartNew();
        try
        {
            await Task.WhenAll(jobs.Select(job => Timed(job, j => WrapperRequests.Start(j.Id, uid, probeFile), (j, r, t) => (j.Prolog, j.PrologMs) = (r, t))));
            var status = await ControlClient.SendAsync(options.SocketPath, new ControlRequest { Op = Operation.Status }, TimeSpan.FromSeconds(10), ct);
            output.WriteLine($"status after all prologs: {string.Join(", ", (status.Jobs ?? []).GroupBy(s => s.State).Select(g => $"{g.Count()} {g.Key}"))}");
            await Task.WhenAll(jobs.Select(job => Timed(job, j => WrapperRequests.Stop(j.Id), (j, r, t) => (j.Epilog, j.EpilogMs) = (r, t))));
        }
        finally
        {
            total.Stop();
            // A demo cut short (an error, Ctrl-C) still stops every tracer it started: the daemon
            // itself leaves tracers running when it stops, as it must on a real node.
            foreach (var job in jobs.Where(j => j.Epilog is null))
                try { await ControlClient.SendAsync(options.SocketPath, WrapperRequests.Stop(job.Id), TimeSpan.FromSeconds(30), CancellationToken.None); }
                catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException or ProtocolException) { }
            await host.StopAsync(CancellationToken.None);
        }

        DemoReport.Print(output, jobs, total.Elapsed);
        var left = Directory.EnumerateFileSystemEntries(runDir).Select(Path.GetFileName).ToList();
        output.WriteLine(left.Count == 0 ? "left in the run dir: nothing" : $"left in the run dir: {string.Join(' ', left)}");
        var ok = left.Count == 0 && jobs.All(j => j.IsAsExpected);
        output.WriteLine(ok ? "demo: every job ended as expected" : "demo: some jobs did NOT end as expected (see above)");
        if (ok) Directory.Delete(workDir, recursive: true);
        return ok ? 0 : 1;

        async Task Timed(DemoJob job, Func<DemoJob, ControlRequest> request, Action<DemoJob, ControlReply, double> record)
        {
            var clock = Stopwatch.StartNew();
            var reply = await ControlClient.SendAsync(options.SocketPath, request(job), TimeSpan.FromSeconds(30), ct);
            record(job, reply, clock.Elapsed.TotalMilliseconds);
        }
    }

    /// <summary>Most jobs trace; every 8th job's tracer fails, every 12th never becomes ready.</summary>
    private static string Behaviour(int i) => i % 8 == 5 ? "fail" : i % 12 == 7 ? "never-ready" : "ready";
}

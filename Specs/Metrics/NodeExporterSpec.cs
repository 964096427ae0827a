using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Datacrumbs.Daemon.Metrics;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Metrics;

/// <summary>
/// The daemon's metrics as a site scrapes them: a real prometheus-node-exporter (Debian's, which
/// .ci/run installs) reads the daemon's textfile, and the spec scrapes it over HTTP on the loopback.
/// </summary>
public sealed class NodeExporterSpec : IAsyncLifetime
{
    private const string NodeExporter = "/usr/bin/prometheus-node-exporter";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly Probes.ProbeFixtures.TempDir _textfiles = Probes.ProbeFixtures.NewDir();
    private DaemonProcess _daemon = null!;
    private Process? _exporter;
    private int _port;

    public async Task InitializeAsync()
    {
        _daemon = await DaemonProcess.StartAsync(settings: new()
        {
            ["Metrics"] = new Dictionary<string, object> { ["TextfileDirectory"] = _textfiles.Path, ["WriteDelaySeconds"] = 0.2 },
        });
        if (File.Exists(NodeExporter)) await StartNodeExporterAsync();
    }

    public async Task DisposeAsync()
    {
        if (_exporter is { HasExited: false }) _exporter.Kill();
        _exporter?.Dispose();
        await _daemon.DisposeAsync();
        _daemon.DeleteWorkDir();
        _textfiles.Dispose();
    }

    /// <summary>Only the textfile collector, on a loopback port that was free a moment ago; ready once it says it listens.</summary>
    private async Task StartNodeExporterAsync()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var psi = new ProcessStartInfo(NodeExporter) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "--collector.disable-defaults", "--collector.textfile", $"--collector.textfile.directory={_textfiles.Path}",
                     $"--web.listen-address=127.0.0.1:{_port}" }) psi.ArgumentList.Add(a);
        _exporter = Process.Start(psi)!;
        var said = new List<string>();
        while (await _exporter.StandardError.ReadLineAsync().WaitAsync(Patience) is { } line)
        {
            said.Add(line);
            if (line.Contains("Listening on", StringComparison.Ordinal)) return;
        }
        throw new InvalidOperationException($"prometheus-node-exporter exited ({_exporter.ExitCode}) before it listened:\n{string.Join('\n', said)}");
    }

    private void RequireNodeExporter()
    {
        var missing = $"no {NodeExporter} (Debian's prometheus-node-exporter; .ci/run installs it)";
        if (File.Exists(NodeExporter)) return;
        if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail($"CI=true and {missing}");
        Skip.If(true, missing);
    }

    [SkippableFact]
    public async Task Lifecycles_show_up_in_node_exporters_scrape_with_their_outcomes_failures_and_times()
    {
        RequireNodeExporter();
        var traced = new JobId(7101);
        var failing = new JobId(7102);
        var dying = new JobId(7103);
        await _daemon.TracerBehaves(failing.ToString(), "fail");
        await _daemon.TracerBehaves(dying.ToString(), "exit-after-ready");

        Assert.Equal(Outcome.Ready, (await _daemon.SendAsync(WrapperRequests.Start(traced, TestUsers.Alice.Uid, _daemon.ProbeFile))).Outcome);
        Assert.Equal(Outcome.Failed, (await _daemon.SendAsync(WrapperRequests.Start(failing, TestUsers.Alice.Uid, _daemon.ProbeFile))).Outcome);
        Assert.Equal(Outcome.Ready, (await _daemon.SendAsync(WrapperRequests.Start(dying, TestUsers.Alice.Uid, _daemon.ProbeFile))).Outcome);
        await _daemon.WaitForLogAsync("the tracer ended after it was ready");
        foreach (var job in new[] { traced, failing, dying })
            Assert.Equal(Outcome.Stopped, (await _daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);

        // Three lifecycles stopped: the failed job's lifecycle waits in Failed for its epilog too.
        await TextfileSaysAsync("datacrumbs_lifecycles_ended_total{outcome=\"stopped\"} 3");
        using var http = new HttpClient { Timeout = Patience };
        var scraped = await http.GetStringAsync($"http://127.0.0.1:{_port}/metrics");

        // What docs/operations.rst shows.
        Console.WriteLine(string.Join('\n', scraped.Split('\n').Where(l => l.StartsWith("datacrumbs_", StringComparison.Ordinal) || l.StartsWith("node_textfile", StringComparison.Ordinal))));
        Assert.Contains("node_textfile_scrape_error 0", scraped); // node_exporter parsed every line we wrote
        Assert.Contains("datacrumbs_lifecycles_ended_total{outcome=\"stopped\"} 3", scraped);
        Assert.Contains("datacrumbs_lifecycles_ended_total{outcome=\"failed\"} 0", scraped); // its epilog ended the failed one
        Assert.Contains("datacrumbs_lifecycle_failures_total{state=\"awaiting_ready\"} 1", scraped);
        Assert.Contains("datacrumbs_tracer_ends_after_ready_total 1", scraped);
        Assert.Contains("datacrumbs_time_to_ready_seconds_count 2", scraped);
        Assert.Contains("datacrumbs_prolog_seconds_count 3", scraped);
        Assert.Contains("datacrumbs_jobs{state=\"ready\"} 0", scraped);
        Assert.Contains("datacrumbs_lifecycle_crashes_total 0", scraped);
    }

    /// <summary>Each write is a rename into the directory: check the file at each one, until it says <paramref name="line"/>.</summary>
    private async Task TextfileSaysAsync(string line)
    {
        var file = Path.Combine(_textfiles.Path, TextfileExporter.FileName);
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            try { if (File.ReadAllText(file).Split('\n').Contains(line)) seen.TrySetResult(); }
            catch (FileNotFoundException) { }
        }
        using var watcher = new FileSystemWatcher(_textfiles.Path, TextfileExporter.FileName);
        watcher.Renamed += (_, _) => Check();
        watcher.Created += (_, _) => Check();
        watcher.Changed += (_, _) => Check();
        watcher.EnableRaisingEvents = true;
        Check();
        try { await seen.Task.WaitAsync(Patience); }
        catch (TimeoutException)
        {
            Assert.Fail($"{file} did not say \"{line}\" within {Patience.TotalSeconds} s; it says:\n{(File.Exists(file) ? File.ReadAllText(file) : "(no file)")}");
        }
    }
}

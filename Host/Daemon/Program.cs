using System.CommandLine;
using Datacrumbs.Daemon.Configuration;
using Datacrumbs.Daemon.Demo;
using Datacrumbs.Daemon.Hosting;
using Microsoft.Extensions.Hosting;
using Serilog.Events;

// datacrumbsd: the DataCrumbs node daemon. Run by datacrumbsd.service on every compute node.
var configFile = new Option<string?>("--config") { Description = $"Configuration file (default {DaemonConfiguration.DefaultFile}, if present)." };
var runDir = new Option<string?>("--run-dir") { Description = "Directory for env files, ready files, probe copies and the socket (default /run/datacrumbs)." };
var socket = new Option<string?>("--socket") { Description = "Control socket path (default <run-dir>/datacrumbsd.sock)." };
var backend = new Option<BackendKind?>("--backend") { Description = "auto (systemd if it is PID 1, else process), systemd or process." };
var tracer = new Option<string?>("--tracer") { Description = "Tracer executable for the process backend; it is called as TRACER PROBE_FILE RUN_ID." };
var onFailure = new Option<string?>("--on-failure") { Description = "continue (default: the job runs untraced) or fail (Flux cancels the job)." };
onFailure.AcceptOnlyFromAmong("continue", "fail");
var logLevel = new Option<LogEventLevel>("--log-level") { Description = "Verbose, Debug, Information, Warning or Error.", DefaultValueFactory = _ => LogEventLevel.Information };

var run = new RootCommand("""
    datacrumbsd: starts and stops DataCrumbs I/O tracing for Flux jobs on this node.
    The Flux prolog and epilog reach it through datacrumbsctl; operators use `datacrumbsctl status`.

    Exit codes: 0 stopped cleanly; 1 failed while running; 2 bad configuration or usage.
    """);
foreach (var option in new Option[] { configFile, runDir, socket, backend, tracer, onFailure, logLevel }) run.Options.Add(option);
run.SetAction(async (parse, ct) =>
{
    DaemonOptions options;
    try
    {
        var flags = new Dictionary<string, string?>();
        void Flag(string key, string? value) { if (value is not null) flags[key] = value; }
        Flag("RunDir", parse.GetValue(runDir));
        Flag("Socket", parse.GetValue(socket));
        Flag("Backend", parse.GetValue(backend)?.ToString());
        Flag("Tracer:0", parse.GetValue(tracer));
        Flag("OnFailure", parse.GetValue(onFailure));
        options = DaemonConfiguration.Load(parse.GetValue(configFile), flags);
    }
    catch (Exception e) when (e is InvalidOperationException or FormatException or IOException)
    {
        Console.Error.WriteLine($"datacrumbsd: configuration error: {e.Message}");
        return 2;
    }
    try
    {
        using var host = DaemonHost.Build(options, parse.GetValue(logLevel));
        await host.RunAsync(ct);
        return 0;
    }
    catch (Exception e) when (e is not OperationCanceledException)
    {
        Console.Error.WriteLine($"datacrumbsd: {e.Message}");
        return 1;
    }
});

var jobs = new Option<int>("--jobs") { Description = "How many concurrent jobs to drive.", DefaultValueFactory = _ => 32 };
var delay = new Option<int>("--tracer-delay-ms") { Description = "How long the stand-in tracer takes to become ready.", DefaultValueFactory = _ => 50 };
var demo = new Command("demo", """
    Runs the daemon on the embedded default (process backend, stand-in tracer) in a temporary run
    dir and drives concurrent jobs through the service wrapper's path; prints each job's answers
    and timings. Exit code 0 when every job ended as expected and nothing was left behind.
    """);
demo.Options.Add(jobs);
demo.Options.Add(delay);
demo.SetAction((parse, ct) => DemoRun.RunAsync(Math.Clamp(parse.GetValue(jobs), 1, 4096), Math.Max(0, parse.GetValue(delay)), Console.Out, ct));
run.Subcommands.Add(demo);

return await run.Parse(args).InvokeAsync();

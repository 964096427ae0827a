using Datacrumbs.Benchmarks.Common;
using Datacrumbs.Benchmarks.Journal;
using Datacrumbs.Benchmarks.Load;
using Datacrumbs.Benchmarks.Micro;
using Datacrumbs.Benchmarks.Pipeline;
using Datacrumbs.Benchmarks.Report;
using Datacrumbs.Benchmarks.Systemd;

// datacrumbs-bench MODE [--name value ...]: the benchmark harness of issue 7; ./bench.sh runs all modes.
// Each mode writes RESULTS/MODE.json; `report` turns a results dir into docs/performance.rst.
const string Usage = """
    usage: datacrumbs-bench MODE [options]   (all: --results DIR, default bench-results)
      micro                                        BenchmarkDotNet hot paths
      pipeline [--runs 3] [--lifecycles 100000] [--tracked 10000]
      load     --ctl PATH [--runs 3] [--samples 30]   real daemon, real hook, reference flow
      memory   [--ready-jobs 2000] [--finished 10000]  daemon RSS and fds
      journal  [--runs 3] [--entries 200000]         journald sink into the sandbox's journald
      systemd  --ctl PATH [--runs 3] [--samples 10]  D-Bus backend vs systemctl start + polling
      report   [--doc docs/performance.rst]
    """;
if (args.Length == 0) { Console.Error.WriteLine(Usage); return 2; }
var mode = args[0];
Args options;
try { options = new Args(args.Skip(1)); }
catch (ArgumentException e) { Console.Error.WriteLine($"datacrumbs-bench: {e.Message}\n{Usage}"); return 2; }
var resultsDir = Path.GetFullPath(options.Get("results", "bench-results"));
var results = new BenchResults();
string Ctl() => options.Get("ctl", "") is { Length: > 0 } c && File.Exists(c) ? Path.GetFullPath(c)
    : throw new ArgumentException("--ctl must name the published NativeAOT datacrumbsctl (dotnet publish Host/Ctl -c Release -o DIR)");

try
{
    switch (mode)
    {
        case "micro":
            options.EnsureAllUsed();
            MicroRun.Run(results, Path.Combine(resultsDir, "BenchmarkDotNet"));
            break;
        case "pipeline":
            var (runs, lifecycles, tracked) = (options.Get("runs", 3), options.Get("lifecycles", 100_000), options.Get("tracked", 10_000));
            options.EnsureAllUsed();
            await PipelineRun.RunAsync(results, lifecycles, tracked, runs);
            break;
        case "load":
            var load = new LoadRun(results, Ctl(), options.Get("samples", 30));
            var loadRuns = options.Get("runs", 3);
            options.EnsureAllUsed();
            await load.RunAsync(loadRuns);
            break;
        case "memory":
            var (ready, finished) = (options.Get("ready-jobs", 2000), options.Get("finished", 10_000));
            options.EnsureAllUsed();
            await new MemoryRun(results).RunAsync(ready, finished);
            break;
        case "journal":
            var (journalRuns, entries) = (options.Get("runs", 3), options.Get("entries", 200_000));
            options.EnsureAllUsed();
            await JournalRun.RunAsync(results, entries, journalRuns);
            break;
        case "systemd":
            var systemd = new SystemdRun(results, Ctl(), options.Get("samples", 10));
            var systemdRuns = options.Get("runs", 3);
            options.EnsureAllUsed();
            await systemd.RunAsync(systemdRuns);
            break;
        case "report":
            var doc = options.Get("doc", Path.Combine(Paths.RepoRoot, "docs", "performance.rst"));
            options.EnsureAllUsed();
            await ReportWriter.WriteAsync(resultsDir, doc);
            return 0;
        default:
            Console.Error.WriteLine($"datacrumbs-bench: unknown mode '{mode}'\n{Usage}");
            return 2;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"datacrumbs-bench: {e.Message}");
    return 2;
}
results.Save(resultsDir, mode);
return 0;

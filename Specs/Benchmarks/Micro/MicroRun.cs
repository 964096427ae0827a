using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Datacrumbs.Benchmarks.Common;
using Perfolizer.Horology;

namespace Datacrumbs.Benchmarks.Micro;

/// <summary>
/// Runs the BenchmarkDotNet micro benchmarks in process (no per-benchmark project build, which
/// would take minutes here), with short but several iterations: enough for the median and the
/// spread of hot paths that take nanoseconds to microseconds.
/// </summary>
public static class MicroRun
{
    public static void Run(BenchResults results, string artifacts)
    {
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(7)
            .WithIterationTime(TimeInterval.FromMilliseconds(100));
        var config = ManualConfig.CreateMinimumViable()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.DisableLogFile);
        Type[] classes = [typeof(JobIdCodecBenchmarks), typeof(FrameBenchmarks), typeof(EnvFileBenchmarks), typeof(JournalEncoderBenchmarks)];
        foreach (var summary in BenchmarkRunner.Run(classes, config))
            foreach (var report in summary.Reports.Where(r => r.ResultStatistics is not null))
                results.Micro.Add(Row(report));
    }

    private static MicroRow Row(BenchmarkReport report)
    {
        var bench = report.BenchmarkCase;
        var group = bench.Descriptor.Type.Name.Replace("Benchmarks", "");
        var parameters = bench.HasParameters ? $" ({string.Join(", ", bench.Parameters.Items.Select(p => p.Value))})" : "";
        var stats = report.ResultStatistics!;
        var allocated = report.GcStats.GetBytesAllocatedPerOperation(bench) ?? 0;
        return new MicroRow(group, bench.Descriptor.WorkloadMethod.Name + parameters, stats.Median, stats.Min, stats.Max, allocated);
    }
}

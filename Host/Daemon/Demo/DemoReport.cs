using System.Globalization;

namespace Datacrumbs.Daemon.Demo;

/// <summary>The demo's table: one line a job, then the latency summary.</summary>
public static class DemoReport
{
    public static void Print(TextWriter output, IReadOnlyList<DemoJob> jobs, TimeSpan total)
    {
        output.WriteLine();
        output.WriteLine($"{"job",-12} {"tracer",-12} {"prolog",-13} {"ms",8}  {"epilog",-8} {"ms",8}  message");
        foreach (var job in jobs)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{job.Id,-12} {job.Behaviour,-12} {job.Prolog?.Outcome.ToString() ?? job.Prolog?.Status.ToString(),-13} {job.PrologMs,8:0.0}  {job.Epilog?.Outcome.ToString() ?? job.Epilog?.Status.ToString(),-8} {job.EpilogMs,8:0.0}  {(job.IsAsExpected ? "" : "UNEXPECTED: ")}{job.Prolog?.Message}"));
        output.WriteLine();
        foreach (var group in jobs.GroupBy(j => j.Prolog?.Outcome))
        {
            var ms = group.Select(j => j.PrologMs).Order().ToList();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"prolog {group.Key,-13} {group.Count(),4} jobs   p50 {Percentile(ms, 0.5),8:0.0} ms   p95 {Percentile(ms, 0.95),8:0.0} ms   max {ms[^1],8:0.0} ms"));
        }
        var epilogs = jobs.Select(j => j.EpilogMs).Order().ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epilog {"all",-13} {jobs.Count,4} jobs   p50 {Percentile(epilogs, 0.5),8:0.0} ms   p95 {Percentile(epilogs, 0.95),8:0.0} ms   max {epilogs[^1],8:0.0} ms"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"all {jobs.Count} lifecycles in {total.TotalSeconds:0.00} s"));
    }

    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}

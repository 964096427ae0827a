using Datacrumbs.Benchmarks.Common;
using ScottPlot;

namespace Datacrumbs.Benchmarks.Report;

/// <summary>The report's PNG plots (ScottPlot, rendered headless through SkiaSharp).</summary>
public static class Plots
{
    private const int Width = 900, Height = 420;

    /// <summary>Writes each plot whose data exists; returns (file name, caption) of those written.</summary>
    public static List<(string File, string Caption)> Write(BenchResults r, string dir)
    {
        Directory.CreateDirectory(dir);
        var written = new List<(string, string)>();
        var s = r.Series;

        if (s.ContainsKey("prolog.hook0") && s.ContainsKey("reference.ref0"))
        {
            Bars(Path.Combine(dir, "prolog.png"), "Prolog, hook invoked to hook exits 0 (p50 of all runs' samples)", "milliseconds",
            [
                ("ours, tracer at once", Stats.Median(s["prolog.hook0"])),
                ("reference, tracer at once", Stats.Median(s["reference.ref0"])),
                ("ours, overhead with 250 ms tracer", Stats.Median(s["prolog.hook250_overhead"])),
                ("reference, overhead with 250 ms tracer", Stats.Median(s["reference.ref250_overhead"])),
            ]);
            written.Add(("prolog.png", "Prolog latency and overhead: our hook and daemon vs the reference shell flow (printenv, setsid, sleep 1 polling)."));
        }
        if (s.TryGetValue("atonce", out var atOnce))
        {
            var sorted = atOnce.Order().ToArray();
            var pct = Enumerable.Range(1, sorted.Length).Select(i => 100.0 * i / sorted.Length).ToArray();
            var plot = new Plot();
            plot.Add.Scatter(sorted, pct);
            plot.Title("256 prologs at once: distribution of hook latencies (all runs)");
            plot.XLabel("milliseconds from hook start to hook exit");
            plot.YLabel("percent of hooks done");
            plot.SavePng(Path.Combine(dir, "atonce.png"), Width, Height);
            written.Add(("atonce.png", "256 prolog hooks started at once: cumulative distribution of their latencies."));
        }
        if (s.TryGetValue("memory.curve_jobs", out var jobs) && s.TryGetValue("memory.curve_rss", out var rss))
        {
            var plot = new Plot();
            plot.Add.Scatter(jobs.ToArray(), rss.ToArray());
            plot.Title("daemon RSS against tracked (ready) jobs");
            plot.XLabel("jobs ready at once");
            plot.YLabel("RSS, MiB");
            plot.Axes.SetLimitsY(0, rss.Max() * 1.15);
            plot.SavePng(Path.Combine(dir, "memory.png"), Width, Height);
            written.Add(("memory.png", "The daemon's resident memory as jobs become ready (process backend, one light tracer process per job)."));
        }
        if (s.ContainsKey("systemd.ours") && s.ContainsKey("systemd.ref"))
        {
            Bars(Path.Combine(dir, "systemd.png"), "Under real systemd: prolog overhead with a 250 ms tracer (p50)", "milliseconds",
            [
                ("ours: hook, datacrumbsd D-Bus backend", Stats.Median(s["systemd.ours"])),
                ("reference: systemctl start + sleep 1 polling", Stats.Median(s["systemd.ref"])),
            ]);
            written.Add(("systemd.png", "Under the sandboxed systemd: our D-Bus backend vs `systemctl start` and polling."));
        }
        if (r.Micro.Count > 0)
        {
            Bars(Path.Combine(dir, "micro.png"), "Hot paths (BenchmarkDotNet, median per operation)", "nanoseconds",
                r.Micro.Select(m => ($"{m.Group}.{m.Name}", m.MedianNs)).ToList(), height: 40 + 24 * r.Micro.Count);
            written.Add(("micro.png", "Micro benchmarks of the hot paths."));
        }
        return written;
    }

    private static void Bars(string file, string title, string unit, IReadOnlyList<(string Label, double Value)> values, int height = Height)
    {
        var plot = new Plot();
        var bars = values.Select((v, i) => new Bar
        {
            Position = values.Count - 1 - i, Value = v.Value, Label = v.Value.ToString(v.Value < 10 ? "0.##" : "0", System.Globalization.CultureInfo.InvariantCulture),
            FillColor = v.Label.StartsWith("reference", StringComparison.Ordinal) ? Colors.Gray : Colors.SteelBlue,
        }).ToList();
        var plottable = plot.Add.Bars(bars);
        plottable.Horizontal = true;
        plottable.ValueLabelStyle.FontSize = 12;
        plot.Axes.Left.SetTicks(values.Select((_, i) => (double)(values.Count - 1 - i)).ToArray(), values.Select(v => v.Label).ToArray());
        plot.Axes.Margins(left: 0, right: 0.15);
        plot.Title(title);
        plot.XLabel(unit);
        plot.SavePng(file, Width + 200, Math.Max(height, 200));
    }
}

namespace Datacrumbs.Benchmarks.Report;

/// <summary>
/// The real-Flux figures of issue 15 (Specs/RealFlux/measure-hook-overhead.sh, run by bench.sh):
/// what our prolog and epilog add to a job on the shared multi-user Flux, next to the figures
/// measured on main before the fast path (Specs/Benchmarks/RealFlux/before-issue15.tsv). Without
/// a Flux the run writes why it skipped, and the section says so.
/// </summary>
internal static class RealFluxSection
{
    public const string BeforeFile = "Specs/Benchmarks/RealFlux/before-issue15.tsv";

    private static readonly (string Key, string What)[] Rows =
    [
        ("untraced.prolog.over-true", "**untraced prolog: ours minus /bin/true** (target <= 5 ms)"),
        ("untraced.epilog.over-true", "**untraced epilog: ours minus /bin/true** (target <= 5 ms)"),
        ("traced.prolog.over-true-and-ready", "**traced prolog beyond /bin/true and the tracer's own time to ready** (target <= 10 ms)"),
        ("cpu.prolog.hook", "CPU of one untraced prolog hook call (its process tree)"),
        ("cpu.prolog.daemon", "CPU of the daemon for it (with the processes it runs)"),
        ("cpu.epilog.hook", "CPU of one untraced epilog hook call"),
        ("cpu.epilog.daemon", "CPU of the daemon for it"),
        ("cpu.true.hook", "CPU of /bin/true run the same way (the floor)"),
        ("untraced.prolog", "untraced prolog span (eventlog)"),
        ("untraced.epilog", "untraced epilog span"),
        ("true.prolog", "/bin/true prolog span through flux-imp"),
        ("true.epilog", "/bin/true epilog span through flux-imp"),
        ("traced.prolog", "traced prolog span"),
        ("tracer.ready", "the stand-in tracer's own time to ready"),
        ("none.run", "`flux run -N2 true`, no prolog or epilog"),
        ("true.run", "`flux run -N2 true`, /bin/true hooks"),
        ("untraced.run", "`flux run -N2 true`, our hooks"),
        ("load.start", "load average (1 min) at the start"),
        ("load.end", "load average (1 min) at the end"),
    ];

    public static IEnumerable<string> Lines(string resultsDir)
    {
        var skipped = Path.Combine(resultsDir, "realflux-skipped.txt");
        var now = Read(Path.Combine(resultsDir, "realflux.tsv"));
        var before = Read(BeforeFile);
        if (now is null && !File.Exists(skipped)) yield break;
        yield return "";
        yield return "Real Flux: what the hooks add to every job";
        yield return "------------------------------------------";
        yield return "";
        yield return "``Specs/RealFlux/measure-hook-overhead.sh`` on the shared multi-user Flux 0.88 (two brokers on this 2-core machine,";
        yield return "prolog and epilog per rank as root through ``flux-imp``): ``flux run -N2 true`` as an ordinary user, medians of the";
        yield return "jobs below, with no prolog, with ``/bin/true`` as prolog and epilog (the floor any site hook pays: the IMP and one";
        yield return "process start), and with our hooks (NativeAOT client, Release daemon, stand-in tracer). Spans are the job eventlog's";
        yield return "prolog-start..prolog-finish and epilog-start..epilog-finish. CPU per call runs each hook directly, as flux-imp runs";
        yield return "it, and sums the CPU of its process tree and the daemon's: it barely depends on the machine's load, the spans do.";
        yield return "";
        if (now is null)
        {
            yield return $"**Skipped in this run**: {File.ReadAllText(skipped).Trim().Replace("skipped: ", "", StringComparison.Ordinal)}.";
            if (before is null) yield break;
            yield return "";
        }
        yield return ".. list-table::";
        yield return "   :header-rows: 1";
        yield return "   :widths: 60 20 20";
        yield return "";
        yield return "   * - Figure (ms unless said)";
        yield return $"     - Before the fast path ({Value(before, "jobs")} jobs)";
        yield return $"     - This run ({Value(now, "jobs")} jobs)";
        foreach (var (key, what) in Rows)
        {
            yield return $"   * - {what}";
            yield return $"     - {Value(before, key)}";
            yield return $"     - {Value(now, key)}";
        }
        yield return "";
    }

    private static string Value(Dictionary<string, string>? figures, string key) =>
        figures is null ? "not measured" : figures.TryGetValue(key, out var v) ? v : "-";

    private static Dictionary<string, string>? Read(string file) =>
        File.Exists(file)
            ? File.ReadAllLines(file).Select(l => l.Split('\t')).Where(p => p.Length == 2 && !p[0].StartsWith('#'))
                .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal)
            : null;
}

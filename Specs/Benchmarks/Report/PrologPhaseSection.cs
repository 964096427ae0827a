using System.Globalization;

namespace Datacrumbs.Benchmarks.Report;

/// <summary>
/// Issue 15 point 5 (Specs/RealFlux/measure-prolog-phase.sh, run by bench.sh): the whole prolog
/// and epilog phase of one job on every rank of 2, 16 and 64 brokers, with our hooks and one real
/// daemon, beside the /bin/true floor, and how it grows.
/// </summary>
internal static class PrologPhaseSection
{
    private sealed record Row(string Kind, double Ranks, string[] Cells)
    {
        public double Prolog => double.Parse(Cells[2], CultureInfo.InvariantCulture);
        public double Epilog => double.Parse(Cells[5], CultureInfo.InvariantCulture);
    }

    public static IEnumerable<string> Lines(string resultsDir)
    {
        var file = Path.Combine(resultsDir, "prolog-phase.tsv");
        if (!File.Exists(file)) yield break;
        var lines = File.ReadAllLines(file);
        var rows = lines.Where(l => !l.StartsWith('#')).Select(l => l.Split('\t')).Where(p => p.Length == 11)
            .Select(p => new Row(p[0], double.Parse(p[1], CultureInfo.InvariantCulture), p)).ToList();
        // the script's last comment line: rounds and the load average at its start and end
        var conditions = lines.LastOrDefault(l => l.StartsWith("# ") && l.Contains("load average"))?[2..] ?? "";
        yield return "";
        yield return "A large job: the whole prolog phase, with our hooks";
        yield return "---------------------------------------------------";
        yield return "";
        yield return "``Specs/RealFlux/measure-prolog-phase.sh``: a single-user test instance of N brokers on this 2-core machine (root";
        yield return "its owner), per-rank prolog and epilog ``datacrumbsctl hook prolog|epilog`` (NativeAOT), ONE Release daemon (process";
        yield return "backend, stand-in tracer) serving every broker, and a job ``flux submit -N<N> true`` on all ranks. The prolog span is";
        yield return "the job's eventlog prolog-start .. prolog-finish (every rank's prolog done), the epilog span the same. ``floor``: the";
        yield return "same instance shape with ``/bin/true`` as prolog and epilog (what per-rank perilog costs by itself). Jobspec reads:";
        yield return "the job's jobspec lookups that the brokers' job-info modules served (``flux module trace``). Here every broker";
        yield return "shares the 2 cores and one daemon gets the job's prolog once per rank; " + conditions + ".";
        yield return "";
        yield return ".. list-table::";
        yield return "   :header-rows: 1";
        yield return "";
        yield return "   * - job";
        yield return "     - ranks";
        yield return "     - prolog median ms (min .. max)";
        yield return "     - epilog median ms (min .. max)";
        yield return "     - jobspec reads per job";
        foreach (var r in rows)
        {
            yield return $"   * - {r.Kind}";
            yield return $"     - {r.Cells[1]}";
            yield return $"     - {r.Cells[2]} ({r.Cells[3]} .. {r.Cells[4]})";
            yield return $"     - {r.Cells[5]} ({r.Cells[6]} .. {r.Cells[7]})";
            yield return $"     - {r.Cells[8]} ({r.Cells[9]} .. {r.Cells[10]})";
        }
        yield return "";
        foreach (var kind in rows.Select(r => r.Kind).Distinct())
        {
            var points = rows.Where(r => r.Kind == kind).OrderBy(r => r.Ranks).ToList();
            if (points.Count < 2) continue;
            // Per extra rank, from the two largest sizes: the marginal cost a larger job adds.
            var (a, b) = (points[^2], points[^1]);
            var perRank = (b.Prolog - a.Prolog) / (b.Ranks - a.Ranks);
            string At(double ranks) => ((b.Prolog + perRank * (ranks - b.Ranks)) / 1000).ToString("0.0", CultureInfo.InvariantCulture);
            var growth = string.Join(" -> ", points.Select(p => $"{p.Cells[2]} ms ({p.Cells[1]})"));
            yield return $"- ``{kind}`` prolog: {growth}; {perRank.ToString("0.0", CultureInfo.InvariantCulture)} ms per extra rank between "
                + $"{a.Ranks} and {b.Ranks}; linear from there, {At(1000)} s at 1,000 ranks and {At(10000)} s at 10,000 "
                + "(all brokers and one daemon on 2 cores: an upper bound, not a forecast).";
        }
        // Ours alone: the hooks' span minus the floor's at the same size, and per rank.
        foreach (var kind in new[] { "untraced", "traced" })
        {
            var above = rows.Where(r => r.Kind == kind)
                .Select(r => (r, Floor: rows.FirstOrDefault(f => f.Kind == "floor" && f.Ranks == r.Ranks)))
                .Where(p => p.Floor is not null).OrderBy(p => p.r.Ranks).ToList();
            if (above.Count == 0) continue;
            string Part(Func<Row, double> span) => string.Join(", ", above.Select(p =>
            {
                var ms = span(p.r) - span(p.Floor!);
                return $"{ms.ToString("0", CultureInfo.InvariantCulture)} ms at {p.r.Cells[1]} "
                    + $"({(ms / p.r.Ranks).ToString("0.0", CultureInfo.InvariantCulture)} per rank)";
            }));
            yield return $"- ``{kind}`` above the floor: prolog {Part(r => r.Prolog)}; epilog {Part(r => r.Epilog)}.";
        }
        yield return "";
        foreach (var line in Implications) yield return line;
    }

    // Fixed prose: what the figures mean, beyond this machine (docs/performance.rst is generated).
    private static readonly string[] Implications =
    [
        "What it implies. On this machine the phase is CPU-bound: every rank's prolog (one client process, one request) and",
        "every broker share 2 cores, so our part grows roughly in proportion to the ranks, and the untraced epilog, which",
        "reads nothing, grows nearly as fast as the prolog: the growth is processes on shared cores, not the jobspec read.",
        "The one daemon read each job's jobspec once (the other ranks' prologs joined the first one's lifecycle or found its",
        "answer remembered). On a cluster each node's daemon reads it once, N reads per job, and each is served by the",
        "job-info module of that node's own broker: Flux 0.88 loads job-info on every rank, and ``flux module trace`` shows a",
        "``job-info.lookup`` sent to rank 3 of 4 served on rank 3 through its own ``kvs.lookup`` and content cache, with",
        "nothing reaching rank 0's job-info or KVS module. So ``job-info.lookup`` already takes the tree-based path a",
        "``kvs.lookup`` would, and the burst of N reads is spread over the brokers. At 1,000 or 10,000 nodes each prolog has",
        "a node to itself: our share of the phase should stay near one node's prolog (the 2-rank rows above the floor) plus",
        "one jobspec read through the tree, while Flux's own per-rank perilog (the floor: every rank's prolog started and its",
        "end collected) grows with the job in a way this machine cannot measure. The linear extrapolations are what packing",
        "every broker onto 2 cores would cost, an upper bound and not a forecast for a cluster.",
    ];
}

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
    }
}

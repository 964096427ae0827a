using System.Globalization;

namespace Datacrumbs.Benchmarks.Report;

/// <summary>
/// Issue 15 point 5 (Specs/RealFlux/measure-jobspec-reads.sh, run by bench.sh): every rank of one
/// job reading its jobspec at once, through rank 0's job-info module and through each broker's
/// KVS cache, at 2, 16 and 64 brokers on this one machine, and what the growth implies.
/// </summary>
internal static class JobspecReadsSection
{
    public static IEnumerable<string> Lines(string resultsDir)
    {
        var file = Path.Combine(resultsDir, "jobspec-reads.tsv");
        if (!File.Exists(file)) yield break;
        var rows = File.ReadAllLines(file).Where(l => !l.StartsWith('#')).Select(l => l.Split('\t')).Where(p => p.Length == 5).ToList();
        yield return "";
        yield return "A large job: every rank reads its jobspec at once";
        yield return "-------------------------------------------------";
        yield return "";
        yield return "``Specs/RealFlux/measure-jobspec-reads.sh``: a test instance of N brokers on this 2-core machine, a job on all ranks,";
        yield return "then one jobspec read per rank sent at the same moment, each on its own broker's socket, timed to the last answer";
        yield return "(only the reads: no hook, no daemon). ``info`` is ``job-info.lookup`` (what ``flux job info`` asks), served by the";
        yield return "job-info module of the broker it is sent to (loaded on every rank); ``kvs`` is ``kvs.lookup`` of ``job.<id>.jobspec``, served by each broker from its";
        yield return "own cache, a miss filled from its parent along the tree. All brokers share 2 cores here, so the growth is";
        yield return "an upper bound on a cluster's, where each broker has a node of its own.";
        yield return "";
        yield return ".. list-table::";
        yield return "   :header-rows: 1";
        yield return "";
        yield return "   * - read";
        yield return "     - ranks";
        yield return "     - median ms (all answered)";
        yield return "     - min .. max ms";
        foreach (var p in rows)
        {
            yield return $"   * - {p[0]}";
            yield return $"     - {p[1]}";
            yield return $"     - {p[2]}";
            yield return $"     - {p[3]} .. {p[4]}";
        }
        yield return "";
        foreach (var way in rows.Select(p => p[0]).Distinct())
        {
            var points = rows.Where(p => p[0] == way)
                .Select(p => (Ranks: double.Parse(p[1], CultureInfo.InvariantCulture), Ms: double.Parse(p[2], CultureInfo.InvariantCulture)))
                .OrderBy(p => p.Ranks).ToList();
            if (points.Count < 2) continue;
            // Per extra rank, from the two largest sizes: the marginal cost a larger job adds.
            var (a, b) = (points[^2], points[^1]);
            var perRank = (b.Ms - a.Ms) / (b.Ranks - a.Ranks);
            string At(double ranks) => (b.Ms + perRank * (ranks - b.Ranks)).ToString("0", CultureInfo.InvariantCulture);
            yield return $"- ``{way}``: {perRank.ToString("0.00", CultureInfo.InvariantCulture)} ms per extra rank between {a.Ranks} and {b.Ranks} ranks; "
                + $"linear from there: about {At(1000)} ms at 1,000 ranks and {At(10000)} ms at 10,000 (all brokers on 2 cores: an upper bound).";
        }
    }
}

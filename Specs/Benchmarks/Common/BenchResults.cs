using System.Text.Json;

namespace Datacrumbs.Benchmarks.Common;

/// <summary>One measured figure: its value in each run (the report shows the median and the spread).</summary>
public sealed record Figure(string Title, string Unit, List<double> Runs, string? Note = null);

/// <summary>One BenchmarkDotNet result row.</summary>
public sealed record MicroRow(string Group, string Name, double MedianNs, double MinNs, double MaxNs, double AllocatedBytes);

/// <summary>
/// What one mode measured, saved as results/&lt;mode&gt;.json: figures by key, raw samples for the
/// plots, and notes (what was measured how, what could not be). The report reads these files only.
/// </summary>
public sealed class BenchResults
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public Dictionary<string, Figure> Figures { get; set; } = new();
    public Dictionary<string, List<double>> Series { get; set; } = new();
    public List<MicroRow> Micro { get; set; } = [];
    public List<string> Notes { get; set; } = [];

    /// <summary>Adds one run's value of a figure.</summary>
    public void Add(string key, string title, string unit, double value, string? note = null)
    {
        if (!Figures.TryGetValue(key, out var figure)) Figures[key] = figure = new Figure(title, unit, [], note);
        figure.Runs.Add(value);
        Console.WriteLine($"  {title}: {value:0.###} {unit}");
    }

    public void AddSeries(string key, IEnumerable<double> values)
    {
        if (!Series.TryGetValue(key, out var list)) Series[key] = list = [];
        list.AddRange(values);
    }

    public void Note(string note)
    {
        Notes.Add(note);
        Console.WriteLine($"  note: {note}");
    }

    public void Save(string dir, string mode)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, mode + ".json"), JsonSerializer.Serialize(this, Json));
    }

    /// <summary>Every results file of a directory merged into one (later modes do not overwrite earlier keys).</summary>
    public static BenchResults LoadAll(string dir)
    {
        var all = new BenchResults();
        foreach (var file in Directory.EnumerateFiles(dir, "*.json").Order())
        {
            var one = JsonSerializer.Deserialize<BenchResults>(File.ReadAllText(file), Json)!;
            foreach (var (k, v) in one.Figures) all.Figures.TryAdd(k, v);
            foreach (var (k, v) in one.Series) all.Series.TryAdd(k, v);
            all.Micro.AddRange(one.Micro);
            all.Notes.AddRange(one.Notes);
        }
        return all;
    }
}

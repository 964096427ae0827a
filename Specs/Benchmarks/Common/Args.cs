namespace Datacrumbs.Benchmarks.Common;

/// <summary>"--name value" options after the mode; unknown names are refused so a typo is not silently ignored.</summary>
public sealed class Args
{
    private readonly Dictionary<string, string> _values = new();
    private readonly HashSet<string> _used = new();

    public Args(IEnumerable<string> args)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var name = e.Current;
            if (!name.StartsWith("--", StringComparison.Ordinal) || !e.MoveNext())
                throw new ArgumentException($"expected --name value, got '{name}'");
            _values[name[2..]] = e.Current;
        }
    }

    public string Get(string name, string fallback)
    {
        _used.Add(name);
        return _values.GetValueOrDefault(name, fallback);
    }

    public int Get(string name, int fallback) => int.Parse(Get(name, fallback.ToString(System.Globalization.CultureInfo.InvariantCulture)), System.Globalization.CultureInfo.InvariantCulture);

    public void EnsureAllUsed()
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}");
    }
}

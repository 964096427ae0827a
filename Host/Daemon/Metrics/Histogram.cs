namespace Datacrumbs.Daemon.Metrics;

/// <summary>A Prometheus histogram's state: a count per upper bound (not yet cumulative), the sum and the count.</summary>
public sealed class Histogram(double[] bounds)
{
    private readonly long[] _perBucket = new long[bounds.Length];

    public IReadOnlyList<double> Bounds => bounds;
    public double Sum { get; private set; }
    public long Count { get; private set; }

    public void Observe(double value)
    {
        var i = Array.FindIndex(bounds, b => value <= b);
        if (i >= 0) _perBucket[i]++;
        Sum += value;
        Count++;
    }

    /// <summary>Observations at or below each bound, as the exposition format's "le" buckets count them.</summary>
    public IEnumerable<(double Bound, long Count)> Cumulative()
    {
        long running = 0;
        for (var i = 0; i < bounds.Length; i++) yield return (bounds[i], running += _perBucket[i]);
    }

    public Histogram Copy()
    {
        var copy = new Histogram(bounds) { Sum = Sum, Count = Count };
        _perBucket.CopyTo(copy._perBucket, 0);
        return copy;
    }
}

using System.Diagnostics;

namespace Datacrumbs.Benchmarks.Load;

public static class Concurrently
{
    /// <summary>Runs body(0..count-1) on <paramref name="workers"/> workers; returns the wall time in seconds.</summary>
    public static async Task<double> RunAsync(int count, int workers, Func<int, Task> body)
    {
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Math.Min(workers, count)).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next)) await body(i);
        })));
        return watch.Elapsed.TotalSeconds;
    }
}

using System.Diagnostics;

namespace Datacrumbs.Benchmarks.Common;

/// <summary>Runs a command and measures its wall time from just before the start to its exit.</summary>
public static class Timed
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr, double Ms);

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, IDictionary<string, string?>? env = null, double timeoutSeconds = 120)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string?>())
            if (v is null) start.Environment.Remove(k); else start.Environment[k] = v;
        using var process = new Process { StartInfo = start };
        var watch = Stopwatch.StartNew();
        process.Start();
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeoutSeconds} s");
        }
        var ms = watch.Elapsed.TotalMilliseconds;
        return new Result(process.ExitCode, await stdout, await stderr, ms);
    }
}

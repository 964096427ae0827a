using System.Diagnostics;

namespace Datacrumbs.Specs.Harness;

/// <summary>
/// An exclusive flock(2) on a file, held by a flock(1) child whose cat reads our stdin: the lock
/// ends on <see cref="DisposeAsync"/>, or with this process however it ends, never later. Other
/// processes (any user who can open the file) wait for it with `flock --shared FILE CMD`, which
/// makes it a release signal with no polling. flock(1) creates the file if it is missing.
/// </summary>
public sealed class HeldFileLock : IAsyncDisposable
{
    private readonly Process _holder;
    private bool _released;

    private HeldFileLock(Process holder) => _holder = holder;

    /// <summary>Takes the lock, waiting at most <paramref name="wait"/> for whoever holds it now.</summary>
    public static async Task<HeldFileLock> TakeAsync(string path, TimeSpan wait)
    {
        var psi = new ProcessStartInfo("flock")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "--exclusive", "--wait", ((int)wait.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
                     path, "sh", "-c", "echo locked; exec cat" })
            psi.ArgumentList.Add(a);
        var holder = Process.Start(psi) ?? throw new InvalidOperationException("could not start flock");
        var line = await holder.StandardOutput.ReadLineAsync().WaitAsync(wait + TimeSpan.FromMinutes(1));
        if (line == "locked") return new HeldFileLock(holder);
        var why = await holder.StandardError.ReadToEndAsync();
        holder.Dispose();
        throw new InvalidOperationException($"could not lock {path} within {wait.TotalSeconds:0} s (someone else held it): {why}");
    }

    /// <summary>Releases the lock: cat sees the end of its input and flock exits. Once; later calls do nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_released) return;
        _released = true;
        _holder.StandardInput.Close();
        await _holder.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        _holder.Dispose();
    }
}

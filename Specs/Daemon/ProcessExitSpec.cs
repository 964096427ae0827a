using System.Diagnostics;
using Datacrumbs.Daemon.ProcessBackend;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Daemon;

/// <summary>
/// The process backend awaits the end of tracers it did not start (adopted after a restart) and
/// of their stragglers through a pidfd. The wait must end on the exit and on cancellation, and
/// cost no wakeups in between: a stop can wait minutes for a tracer that finalizes its trace.
/// Runs alone: it counts the wakeups of a thread of this test process.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class ProcessExitSpec
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_wait_ends_when_the_process_exits()
    {
        using var process = StartSleeper();
        var exited = ProcessExit.WaitAsync(IdentityOf(process), CancellationToken.None);
        Assert.False(exited.IsCompleted, "the wait ended while the process lived");

        process.Kill();
        await exited.WaitAsync(Deadline);
    }

    [Fact]
    public async Task A_cancelled_wait_ends_and_leaves_the_process_alone()
    {
        using var process = StartSleeper();
        using var cancel = new CancellationTokenSource();
        var exited = ProcessExit.WaitAsync(IdentityOf(process), cancel.Token);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => exited.WaitAsync(Deadline));
        Assert.False(process.HasExited);
        process.Kill();
    }

    [Fact]
    public async Task A_process_already_gone_ends_the_wait_at_once()
    {
        using var process = StartSleeper();
        var identity = IdentityOf(process);
        process.Kill();
        await process.WaitForExitAsync();

        Assert.True(ProcessExit.WaitAsync(identity, CancellationToken.None).IsCompleted);
    }

    /// <summary>
    /// The waiting thread sleeps in the kernel until the exit: counted as its context switches
    /// over a window (silence has no event to await). The 200 ms poll it replaced switched about
    /// 15 times in such a window.
    /// </summary>
    [Fact]
    public async Task The_waiting_thread_does_not_wake_while_the_process_lives()
    {
        using var process = StartSleeper();
        var before = ThreadIds();
        var exited = ProcessExit.WaitAsync(IdentityOf(process), CancellationToken.None);
        // A long-running task gets its own thread, started before StartNew returns.
        var waiter = Assert.Single(ThreadIds().Except(before), tid => ThreadName(tid).StartsWith(".NET Long", StringComparison.Ordinal));

        var start = ThreadWakeups.Of(Environment.ProcessId);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var wakeups = ThreadWakeups.Of(Environment.ProcessId).Since(start).Where(t => t.Tid == waiter).Sum(t => t.Wakeups);

        // Entering poll(2) may still switch once or twice when the window opens.
        Assert.True(wakeups <= 3, $"the thread waiting on the pidfd woke {wakeups} times in 3 s");
        process.Kill();
        await exited.WaitAsync(Deadline);
    }

    private static Process StartSleeper() =>
        Process.Start(new ProcessStartInfo("sleep", "infinity") { UseShellExecute = false })
        ?? throw new InvalidOperationException("could not start sleep");

    private static ProcessIdentity IdentityOf(Process process) =>
        ProcessIdentity.Of(process.Id) ?? throw new InvalidOperationException($"pid {process.Id} is gone");

    private static HashSet<int> ThreadIds() =>
        Directory.EnumerateDirectories($"/proc/{Environment.ProcessId}/task").Select(dir => int.Parse(Path.GetFileName(dir))).ToHashSet();

    private static string ThreadName(int tid)
    {
        try { return File.ReadAllText($"/proc/{Environment.ProcessId}/task/{tid}/comm").Trim(); }
        catch (IOException) { return ""; } // it ended
    }
}

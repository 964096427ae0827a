using Datacrumbs.Daemon.ProcessBackend;

namespace Datacrumbs.Specs.Harness;

/// <summary>Awaiting another process's exit as an event (a pidfd), never by polling.</summary>
public static class Processes
{
    /// <summary>Completes when the process exits; at once when it is already gone. Call it before the exit is triggered.</summary>
    public static Task ExitOf(int pid) =>
        ProcessIdentity.Of(pid) is { } process ? ProcessExit.WaitAsync(process, CancellationToken.None) : Task.CompletedTask;
}

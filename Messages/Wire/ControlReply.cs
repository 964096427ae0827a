using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Messages.Wire;

/// <summary>One reply frame: exactly one per request.</summary>
public sealed record ControlReply
{
    public required ReplyStatus Status { get; init; }
    public required string Message { get; init; }
    /// <summary>The job in canonical form, when the request named one.</summary>
    public string? Job { get; init; }
    public Outcome? Outcome { get; init; }
    /// <summary>The state the answer was decided in (for failures: the state that failed).</summary>
    public LifecycleState? State { get; init; }
    public FailurePolicy? Policy { get; init; }
    public double? ElapsedMs { get; init; }
    public IReadOnlyList<JobStatus>? Jobs { get; init; }

    public static ControlReply Error(ReplyStatus status, string message, string? job = null) =>
        new() { Status = status, Message = message, Job = job };
}

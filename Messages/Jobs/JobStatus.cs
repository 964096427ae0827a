namespace Datacrumbs.Messages.Jobs;

/// <summary>One row of <c>datacrumbsctl status</c>.</summary>
public sealed record JobStatus(
    string Job,
    uint Uid,
    string User,
    LifecycleState State,
    DateTimeOffset Since,
    string Unit,
    double? ReadyAfterMs = null,
    string? LastError = null);

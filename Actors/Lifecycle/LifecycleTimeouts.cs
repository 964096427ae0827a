namespace Datacrumbs.Actors.Lifecycle;

/// <summary>
/// How long each state may last. Nothing waits forever: a state that outlives its timeout
/// fails the job (or, while stopping, gives up and says what may be left).
/// </summary>
public sealed record LifecycleTimeouts
{
    public TimeSpan Resolve { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan WriteEnv { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan Start { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Ready { get; init; } = TimeSpan.FromSeconds(120);
    public TimeSpan Stop { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest a prolog can take: the client's deadline must be longer.</summary>
    public TimeSpan PrologBudget => Resolve + WriteEnv + Start + Ready + Stop;
}

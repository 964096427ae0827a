using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Lifecycle;

/// <summary>
/// How long each state may last. Nothing waits forever: a state that outlives its timeout
/// fails the job (or, while stopping, gives up and says what may be left). The defaults and
/// the longest prolog and epilog come from <see cref="TimeBudget"/>.
/// </summary>
public sealed record LifecycleTimeouts
{
    public TimeSpan Resolve { get; init; } = TimeBudget.Resolve;
    public TimeSpan WriteEnv { get; init; } = TimeBudget.WriteEnv;
    public TimeSpan Start { get; init; } = TimeBudget.Start;
    public TimeSpan Ready { get; init; } = TimeBudget.Ready;
    public TimeSpan Stop { get; init; } = TimeBudget.Stop;

    /// <summary>The longest a prolog can take, its failure's cleanup included: the client's deadline must be longer.</summary>
    public TimeSpan LongestProlog => TimeBudget.LongestProlog(Resolve, WriteEnv, Start, Ready, Stop);

    /// <summary>The longest an epilog can take: a prolog's cleanup it waits for, then its own stop.</summary>
    public TimeSpan LongestEpilog => TimeBudget.LongestEpilog(Stop);
}

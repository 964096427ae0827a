namespace Datacrumbs.Messages.Jobs;

/// <summary>
/// The answer to a prolog or an epilog. <see cref="State"/> is the state the job was in when
/// the answer was decided (for a failure: the state it failed in), and the message names the cause.
/// </summary>
public sealed record JobAnswer(JobId Job, Outcome Outcome, LifecycleState State, string Message, TimeSpan Elapsed);

using Datacrumbs.Actors.Ports;

namespace Datacrumbs.Actors.Lifecycle;

/// <summary>
/// What a lifecycle's step sends back to its actor, one type per step. Each carries the
/// generation of the state that ran it: a result whose state has already ended (cancelled,
/// timed out, superseded by an epilog) has an older generation and is dropped.
/// </summary>
internal abstract record StepResult(int Generation);

/// <summary>Resolving finished: the job's user, and the tracer's environment if the job asked for tracing.</summary>
internal sealed record Resolved(int Generation, string User, TracerEnvironment? Environment) : StepResult(Generation);

/// <summary>WritingEnv finished: the env file is in place.</summary>
internal sealed record EnvWritten(int Generation) : StepResult(Generation);

/// <summary>StartingUnit finished: the unit runs, and tells when it exits.</summary>
internal sealed record UnitStarted(int Generation, RunningUnit Unit) : StepResult(Generation);

/// <summary>AwaitingReady finished: the tracer wrote its ready file.</summary>
internal sealed record TracerReady(int Generation) : StepResult(Generation);

/// <summary>Failing or Stopping finished: the unit is stopped and the job's files are gone.</summary>
internal sealed record CleanedUp(int Generation) : StepResult(Generation);

/// <summary>The step threw: the state fails with this cause.</summary>
internal sealed record StepFailed(int Generation, Exception Cause) : StepResult(Generation);

/// <summary>The state outlived its timeout.</summary>
internal sealed record StateTimedOut(int Generation, TimeSpan After) : StepResult(Generation);

/// <summary>The tracer (its systemd unit, or its process) ended, at any time after it started.</summary>
internal sealed record UnitExited(UnitExit Exit);

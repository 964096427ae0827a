using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Ports;

/// <summary>
/// Runs the tracer for a job: `datacrumbs@&lt;job&gt;.service` under systemd, or a child
/// process of the daemon where systemd is not PID 1.
/// </summary>
public interface IUnitBackend
{
    /// <summary>The backend's name, for logs and status (e.g. "process", "systemd").</summary>
    string Name { get; }

    /// <summary>
    /// Starts the job's unit and completes once it is started (not yet ready). The returned
    /// unit's <see cref="RunningUnit.Exited"/> completes when it stops or fails for any reason.
    /// </summary>
    Task<RunningUnit> StartAsync(JobId job, CancellationToken ct);

    /// <summary>
    /// Stops the job's unit and completes once it has exited. Succeeds when there is no such
    /// unit, so it serves epilogs for unknown jobs and cleanups alike.
    /// </summary>
    Task StopAsync(JobId job, CancellationToken ct);

    /// <summary>Jobs whose unit is running now (for adoption after a daemon restart).</summary>
    Task<IReadOnlyList<JobId>> ListAsync(CancellationToken ct);

    /// <summary>
    /// For a unit adopted after a daemon restart (one <see cref="ListAsync"/> found): completes when it ends,
    /// at once if it has already ended, so that a tracer that dies during its job is reported as a started
    /// one is (<see cref="RunningUnit.Exited"/>). Cancelled with <paramref name="ct"/>.
    /// </summary>
    Task<UnitExit> FollowAdoptedAsync(JobId job, CancellationToken ct);

    /// <summary>
    /// The systemd unit of a job, for messages and status, or null where the backend has none
    /// (the process backend): a sysadmin must not go looking for a unit that does not exist.
    /// </summary>
    string? SystemdUnitOf(JobId job) => null;
}

/// <summary>A started unit. <paramref name="Exited"/> yields why it ended.</summary>
public sealed record RunningUnit(string Name, Task<UnitExit> Exited);

/// <summary>Why a unit ended, in words for the journal and the client ("exited with code 3").</summary>
public sealed record UnitExit(string Reason);

using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Messages.Wire;

/// <summary>
/// One request frame. The caller's identity is never taken from here: the daemon reads it
/// from the socket (SO_PEERCRED). <see cref="Uid"/> is the job's user, which only a
/// privileged caller may name.
/// </summary>
public sealed record ControlRequest
{
    public required Operation Op { get; init; }
    /// <summary>Job id in any accepted text form (decimal, f58, hex: Flux; s12345: Slurm). Its scheduler decides the fields below.</summary>
    public string? Job { get; init; }
    /// <summary>The job's user (FLUX_JOB_USERID, SLURM_JOB_UID).</summary>
    public uint? Uid { get; init; }
    /// <summary>The prolog's FLUX_URI, for reading the jobspec.</summary>
    public string? FluxUri { get; init; }
    /// <summary>The instance owner (the prolog's FLUX_OWNER_USERID): the daemon reads the jobspec as this user.</summary>
    public uint? FluxOwnerUid { get; init; }
    /// <summary>Metadata fabricated by the service wrapper; absent for real prologs.</summary>
    public TracingRequest? Metadata { get; init; }
    /// <summary>A Slurm prolog's request: the SPANK plugin's values, user input.</summary>
    public SubmitOptions? Submitted { get; init; }
}

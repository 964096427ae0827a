using Datacrumbs.Actors.Lifecycle;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Supervision;

/// <summary>Asks for the jobs the daemon tracks; <paramref name="Uid"/> limits the answer to one user's jobs.</summary>
public sealed record StatusQuery(uint? Uid);

public sealed record StatusReport(IReadOnlyList<JobStatus> Jobs);

/// <summary>
/// What the daemon found at start: jobs still running (adopted, so that their epilogs stop
/// them) and jobs with files but no running unit (cleaned up now, without an answer to anyone).
/// </summary>
public sealed record AdoptJobs(IReadOnlyList<AdoptedJob> Running, IReadOnlyList<JobId> Leftovers);

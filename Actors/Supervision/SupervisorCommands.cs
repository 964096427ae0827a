using Datacrumbs.Actors.Lifecycle;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Supervision;

/// <summary>Asks for the jobs the daemon tracks; <paramref name="Uid"/> limits the answer to one user's jobs.</summary>
public sealed record StatusQuery(uint? Uid);

public sealed record StatusReport(IReadOnlyList<JobStatus> Jobs);

/// <summary>Take over jobs found running at start so that their epilogs stop them.</summary>
public sealed record AdoptJobs(IReadOnlyList<AdoptedJob> Jobs);

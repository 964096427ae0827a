using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Lifecycle;

/// <summary>A job whose tracer (or env file) the daemon found at start, left by an earlier run of itself.</summary>
public sealed record AdoptedJob(JobId Job, uint Uid, string User);

using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Messages.Wire;

/// <summary>
/// The service wrapper's requests (`datacrumbs_service_wrapper start|stop`): the job metadata a
/// Flux jobspec would carry, fabricated, so a test without Flux walks the daemon's real path.
/// </summary>
public static class WrapperRequests
{
    public static ControlRequest Start(JobId job, uint uid, string probeFile) => new()
    {
        Op = Operation.Prolog,
        Job = job.ToString(),
        Uid = uid,
        Metadata = new TracingRequest("yes", probeFile),
    };

    public static ControlRequest Stop(JobId job) => new() { Op = Operation.Epilog, Job = job.ToString() };
}

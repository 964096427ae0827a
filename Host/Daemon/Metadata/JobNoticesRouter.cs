using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Daemon.Metadata;

/// <summary>
/// Picks who tells a job's user, by the job's scheduler (its id says which): Flux's job
/// exceptions and memo for Flux jobs, Slurm's notices for Slurm jobs. A scheduler without an
/// entry tells nobody, so no scheduler's command ever runs for another's job.
/// </summary>
public sealed class JobNoticesRouter(IReadOnlyDictionary<JobScheduler, IJobNotices> schedulers) : IJobNotices
{
    public Task TellUserAsync(JobRequest request, string message) =>
        schedulers.TryGetValue(request.Job.Scheduler, out var notices) ? notices.TellUserAsync(request, message) : Task.CompletedTask;

    public Task ShowAsync(JobRequest request, TracingShown shown) =>
        schedulers.TryGetValue(request.Job.Scheduler, out var notices) ? notices.ShowAsync(request, shown) : Task.CompletedTask;
}

using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;
using Microsoft.Extensions.Logging;

namespace Datacrumbs.Daemon.Slurm;

/// <summary>
/// What the daemon tells a Slurm job's user after the prolog answered: nothing yet. Slurm has no
/// job exception or memo a node daemon could add to (a reason needs `scontrol` as SlurmUser or
/// root, and would replace the job's own); the prolog hook tells the user of a failure at the
/// start. A tracer that dies after ready is logged (journal, `datacrumbsctl status`) only.
/// </summary>
public sealed class SlurmJobNotices(ILogger<SlurmJobNotices> log) : IJobNotices
{
    public Task TellUserAsync(JobRequest request, string message)
    {
        log.LogInformation("{JobId}: not told to the user (a Slurm job has no job exceptions): {Note}", request.Job, message);
        return Task.CompletedTask;
    }

    /// <summary>The tracing state is in the journal and `datacrumbsctl status`; Slurm has no memo to show it in.</summary>
    public Task ShowAsync(JobRequest request, TracingShown shown) => Task.CompletedTask;
}

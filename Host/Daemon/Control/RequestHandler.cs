using Akka.Actor;
using Akka.Hosting;
using Datacrumbs.Actors.Lifecycle;
using Datacrumbs.Actors.Supervision;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Unix;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Daemon.Control;

/// <summary>
/// Turns one checked request from one identified caller into one reply: authorization, input
/// checks with messages that name the problem, then an Ask of the job supervisor with a deadline
/// longer than any lifecycle can take, so the actors, not this layer, decide timeouts.
/// </summary>
public sealed class RequestHandler(IRequiredActor<JobSupervisor> supervisor, CallerPolicy callers, FailurePolicy onFailure, LifecycleTimeouts timeouts, RequestActivity activity)
{
    private const int MaxFluxUriLength = 4096;
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(10);

    public async Task<ControlReply> HandleAsync(ControlRequest request, PeerCredentials caller, CancellationToken ct)
    {
        activity.Taken();
        if (callers.Refusal(caller, request.Op) is { } refusal) return ControlReply.Error(ReplyStatus.Forbidden, refusal, request.Job);
        try
        {
            return request.Op switch
            {
                Operation.Status => await StatusAsync(caller, ct),
                Operation.Prolog => await PrologAsync(request, ct),
                Operation.Epilog => await EpilogAsync(request, ct),
                _ => ControlReply.Error(ReplyStatus.BadRequest, $"unknown operation {(int)request.Op}"),
            };
        }
        catch (BadRequestException e)
        {
            return ControlReply.Error(ReplyStatus.BadRequest, e.Message, request.Job);
        }
        catch (AskTimeoutException)
        {
            return ControlReply.Error(ReplyStatus.Unavailable, "the daemon did not answer in time", request.Job);
        }
    }

    private async Task<ControlReply> StatusAsync(PeerCredentials caller, CancellationToken ct)
    {
        var jobs = await supervisor.GetAsync(ct);
        var report = await jobs.Ask<StatusReport>(new StatusQuery(callers.IsPrivileged(caller) ? null : caller.Uid), StatusTimeout, ct);
        return new ControlReply { Status = ReplyStatus.Ok, Message = $"{report.Jobs.Count} job(s)", Jobs = report.Jobs };
    }

    private async Task<ControlReply> PrologAsync(ControlRequest request, CancellationToken ct)
    {
        var job = ParseJob(request.Job);
        var uid = request.Uid ?? throw new BadRequestException("a prolog must name the job's user (uid; FLUX_JOB_USERID or SLURM_JOB_UID)");
        var jobRequest = job.Scheduler switch
        {
            JobScheduler.Slurm => SlurmProlog(job, uid, request),
            _ => FluxProlog(job, uid, request),
        };
        var jobs = await supervisor.GetAsync(ct);
        var answer = await jobs.Ask<JobAnswer>(new Prolog(jobRequest), timeouts.LongestProlog + TimeBudget.AnswerMargin, ct);
        return Reply(answer);
    }

    /// <summary>A Flux prolog carries Flux's environment (FLUX_URI, FLUX_OWNER_USERID): the daemon asks Flux for the jobspec.</summary>
    private static JobRequest FluxProlog(JobId job, uint uid, ControlRequest request)
    {
        if (request.Submitted is not null)
            throw new BadRequestException($"job {job} is a Flux job, but the prolog carries Slurm's submit options (SPANK_DATACRUMBS_*): Flux jobs carry them in the jobspec");
        if (request.FluxUri is { } uri && (uri.Length > MaxFluxUriLength || uri.Any(char.IsControl)))
            throw new BadRequestException($"FLUX_URI '{UntrustedText.Printable(uri)}' is not a usable URI");
        return new JobRequest(job, uid, new JobOrigin(request.FluxUri, request.FluxOwnerUid), request.Metadata);
    }

    /// <summary>A Slurm prolog carries the user's submit options itself; nothing of Flux's may come with it.</summary>
    private static JobRequest SlurmProlog(JobId job, uint uid, ControlRequest request)
    {
        if (request.FluxUri is not null || request.FluxOwnerUid is not null)
            throw new BadRequestException($"job {job} is a Slurm job, but the prolog carries Flux's environment (FLUX_URI, FLUX_OWNER_USERID)");
        return new JobRequest(job, uid, Inline: request.Metadata, Submitted: request.Submitted);
    }

    private async Task<ControlReply> EpilogAsync(ControlRequest request, CancellationToken ct)
    {
        var job = ParseJob(request.Job);
        var jobs = await supervisor.GetAsync(ct);
        var answer = await jobs.Ask<JobAnswer>(new Epilog(job), timeouts.LongestEpilog + TimeBudget.AnswerMargin, ct);
        return Reply(answer);
    }

    private ControlReply Reply(JobAnswer answer) => new()
    {
        Status = ReplyStatus.Ok,
        Job = answer.Job.ToString(),
        Outcome = answer.Outcome,
        State = answer.State,
        Message = answer.Message,
        Policy = onFailure,
        ElapsedMs = Math.Round(answer.Elapsed.TotalMilliseconds, 3),
    };

    private static JobId ParseJob(string? text) =>
        JobId.TryParse(text, out var job, out var error) ? job : throw new BadRequestException(error);

    private sealed class BadRequestException(string message) : Exception(message);
}

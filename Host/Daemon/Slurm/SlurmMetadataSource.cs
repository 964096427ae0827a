using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Metadata;
using Datacrumbs.Daemon.Probes;
using Datacrumbs.Daemon.Users;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Daemon.Slurm;

/// <summary>
/// The `slurm` metadata source. Slurm has no jobspec to read: the SPANK plugin passed the user's
/// options to the prolog's environment (SPANK_DATACRUMBS_ENABLE, SPANK_DATACRUMBS_PROBE_FILE),
/// and the client sent them in the prolog (<see cref="JobRequest.Submitted"/>). They are user
/// input, checked by the jobspec's rules (<see cref="ProbeFilePath"/>); the probe file is then
/// admitted like a Flux job's (signed, issued to this uid, read as the user). Nothing here
/// runs a process or touches a file: a Slurm job costs no Flux call.
/// </summary>
public sealed class SlurmMetadataSource(UserDirectory users) : IJobMetadataSource
{
    private const string EnableVariable = SubmitOptions.SlurmEnableVariable;
    private const string ProbeFileVariable = SubmitOptions.SlurmProbeFileVariable;

    public Task<JobMetadata> ResolveAsync(JobRequest request, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var job = request.Job;
        var user = users.NameOf(request.Uid);
        if (request.Submitted is not { AsksForTracing: true } asked) return Task.FromResult(new JobMetadata(user, null));
        if (string.IsNullOrEmpty(asked.ProbeFile))
            throw new JobMetadataException($"job {job}: tracing was asked for ({EnableVariable}) but no probe file was given ({ProbeFileVariable} is empty): submit with --datacrumbs-probe-file=/absolute/path");
        if (ProbeFilePath.Problem(asked.ProbeFile) is { } problem)
            throw new JobMetadataException($"job {job}: the probe file (--datacrumbs-probe-file, {ProbeFileVariable}) {problem}: '{UntrustedText.Printable(asked.ProbeFile)}'");
        return Task.FromResult(new JobMetadata(user, new TracingRequest("yes", asked.ProbeFile)));
    }
}

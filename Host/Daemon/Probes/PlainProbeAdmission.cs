using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Files;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Daemon.Probes;

/// <summary>
/// Admission without signatures (Probes:RequireSignature=false), for demos and sites without a
/// signer: the tracer runs whatever probes the user names, but only what the job's user may read.
/// The file is read as that user, bounded in size and time, exactly as in signed mode, and the
/// tracer gets a root-owned 0600 copy, so later changes to the user's file do not reach it.
/// </summary>
public sealed class PlainProbeAdmission(string runDir, ProbeAdmissionLimits limits, AdmissionGate gate) : IProbeAdmission
{
    private readonly JobUserProbeFile _file = new(limits);

    public async Task<string> AdmitAsync(JobRequest request, JobMetadata metadata, CancellationToken ct)
    {
        var path = JobUserProbeFile.PathOf(metadata);
        try
        {
            _file.CheckPath(path);
            using var turn = await gate.UserTurnAsync(request.Uid, ct).ConfigureAwait(false);
            var (_, content) = await _file.ReadAsync(request, path, ct).ConfigureAwait(false);
            if (content.Length == 0) throw new ProbesRejectedException(ProbeRejection.Malformed, "the file is empty");
            var copy = Path.Combine(runDir, JobNames.ProbeCopy(request.Job));
            await AtomicFile.WriteAsync(copy, content, UnixFileMode.UserRead | UnixFileMode.UserWrite, ct).ConfigureAwait(false);
            return copy;
        }
        catch (ProbesRejectedException e)
        {
            throw new ProbesRejectedException(e.Reason, $"probe file {UntrustedText.Printable(path)}: {e.Message}", e);
        }
    }

    public Task ReleaseAsync(JobId job, CancellationToken ct)
    {
        File.Delete(Path.Combine(runDir, JobNames.ProbeCopy(job)));
        return Task.CompletedTask;
    }
}

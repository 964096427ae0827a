using Datacrumbs.Daemon.Files;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Daemon.Probes;

/// <summary>
/// The gate between a user-named probes file and the root tracer. The file must have an absolute,
/// printable path; it is read as the job's user (so only what that user may read can get through),
/// its checksum (the DataCrumbs runtime's, with the site secret), expiry and user binding are verified,
/// and the tracer is given a root-owned 0600 copy of the verified document in the run dir (the four
/// members the runtime reads, nothing unsigned), so nothing the user changes afterwards reaches it.
/// </summary>
public sealed class SignedProbeAdmission(string runDir, ProbeSecret secret, ProbeAdmissionLimits limits, TimeProvider? time = null, AdmissionGate? gate = null)
    : IProbeAdmission
{
    private readonly JobUserProbeFile _file = new(limits);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly AdmissionGate _gate = gate ?? new AdmissionGate(limits.AdmissionsPerUser, limits.ChecksAtOnce);

    public async Task<string> AdmitAsync(JobRequest request, JobMetadata metadata, CancellationToken ct)
    {
        var path = JobUserProbeFile.PathOf(metadata);
        try
        {
            _file.CheckPath(path);
            // One user's jobs take turns: a flood of hostile documents waits behind itself.
            using var turn = await _gate.UserTurnAsync(request.Uid, ct).ConfigureAwait(false);
            var (userName, bytes) = await _file.ReadAsync(request, path, ct).ConfigureAwait(false);
            VerifiedProbes verified;
            // The checksum covers the parsed document, so parsing comes first: few at once, bounded each.
            using (await _gate.CheckSlotAsync(ct).ConfigureAwait(false))
                verified = ProbesDocument.Verify(bytes, secret, limits.File, _time.GetUtcNow(), request.Uid, userName, limits.AcceptFilesWithoutUid);
            ct.ThrowIfCancellationRequested();
            return await WriteCopyAsync(request.Job, verified.ToFile(), ct).ConfigureAwait(false);
        }
        catch (ProbesRejectedException e)
        {
            throw new ProbesRejectedException(e.Reason, $"probe file {UntrustedText.Printable(path)}: {e.Message}", e);
        }
    }

    public Task ReleaseAsync(JobId job, CancellationToken ct)
    {
        File.Delete(CopyPath(job)); // no error when it is not there
        return Task.CompletedTask;
    }

    private string CopyPath(JobId job) => Path.Combine(runDir, JobNames.ProbeCopy(job));

    /// <summary>Root's 0600 copy, written atomically: the tracer never sees half a file.</summary>
    private async Task<string> WriteCopyAsync(JobId job, byte[] content, CancellationToken ct)
    {
        await AtomicFile.WriteAsync(CopyPath(job), content, UnixFileMode.UserRead | UnixFileMode.UserWrite, ct);
        return CopyPath(job);
    }
}

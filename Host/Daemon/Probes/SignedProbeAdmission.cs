using Datacrumbs.Daemon.Files;
using Datacrumbs.Messages.Unix;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Probes;

namespace Datacrumbs.Daemon.Probes;

/// <summary>
/// The gate between a user-named probes file and the root tracer. The file must have an absolute,
/// printable path; it is read as the job's user (so only what that user may read can get through),
/// its checksum (the DataCrumbs runtime's, with the site secret), expiry and user binding are verified,
/// and the tracer is given a root-owned 0600 copy of the verified document in the run dir (the four
/// members the runtime reads, nothing unsigned), so nothing the user changes afterwards reaches it.
/// </summary>
public sealed class SignedProbeAdmission(string runDir, ProbeSecret secret, ProbeAdmissionLimits limits, TimeProvider? time = null)
    : IProbeAdmission
{
    private readonly UserFileReader _reader = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<string> AdmitAsync(JobRequest request, JobMetadata metadata, CancellationToken ct)
    {
        var path = metadata.Tracing?.ProbeFile;
        if (string.IsNullOrEmpty(path))
            throw new ProbesRejectedException(ProbeRejection.BadPath, "tracing was requested without a probe file");
        try
        {
            CheckPath(path);
            if (UnixAccounts.LookupUser(request.Uid) is not { } account)
                throw new ProbesRejectedException(ProbeRejection.Unreadable, $"uid {request.Uid} has no account on this node");

            var bytes = await _reader.ReadAsUserAsync(path, request.Uid, account.Gid, account.Name, limits.File.MaxFileBytes, limits.ReadTimeout, ct);
            var verified = ProbesDocument.Verify(bytes, secret, limits.File, _time.GetUtcNow(), request.Uid, account.Name, limits.AcceptFilesWithoutUid);
            return await WriteCopyAsync(request.Job, verified.ToFile(), ct);
        }
        catch (ProbesRejectedException e)
        {
            throw new ProbesRejectedException(e.Reason, $"probe file {JobId.Printable(path)}: {e.Message}", e);
        }
    }

    public Task ReleaseAsync(JobId job, CancellationToken ct)
    {
        File.Delete(CopyPath(job)); // no error when it is not there
        return Task.CompletedTask;
    }

    private string CopyPath(JobId job) => Path.Combine(runDir, JobNames.ProbeCopy(job));

    private void CheckPath(string path)
    {
        if (path.Length > limits.MaxPathLength)
            throw new ProbesRejectedException(ProbeRejection.BadPath, $"path is {path.Length} characters, more than {limits.MaxPathLength}");
        if (ProbeFilePath.Problem(path) is { } problem)
            throw new ProbesRejectedException(ProbeRejection.BadPath, $"path {problem}");
    }

    /// <summary>Root's 0600 copy, written atomically: the tracer never sees half a file.</summary>
    private async Task<string> WriteCopyAsync(JobId job, byte[] content, CancellationToken ct)
    {
        await AtomicFile.WriteAsync(CopyPath(job), content, UnixFileMode.UserRead | UnixFileMode.UserWrite, ct);
        return CopyPath(job);
    }
}

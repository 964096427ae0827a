using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Unix;

namespace Datacrumbs.Daemon.Probes;

/// <summary>
/// The first step of every admission, signed or not: the path's shape, the job user's account, and
/// the file's bytes as that user reads them (<see cref="UserFileReader"/>): the root daemon never
/// opens or even stats a user-named path itself, so nothing root may read reaches the tracer.
/// </summary>
public sealed class JobUserProbeFile(ProbeAdmissionLimits limits)
{
    private readonly UserFileReader _reader = new();

    /// <summary>The path the job names; throws <see cref="ProbesRejectedException"/> when it has none.</summary>
    public static string PathOf(JobMetadata metadata) =>
        metadata.Tracing?.ProbeFile is { Length: > 0 } path ? path
        : throw new ProbesRejectedException(ProbeRejection.BadPath, "tracing was requested without a probe file");

    /// <summary>Throws <see cref="ProbesRejectedException"/> when the path's shape is unusable (before anything runs for it).</summary>
    public void CheckPath(string path)
    {
        if (path.Length > limits.MaxPathLength)
            throw new ProbesRejectedException(ProbeRejection.BadPath, $"path is {path.Length} characters, more than {limits.MaxPathLength}");
        if (ProbeFilePath.Problem(path) is { } problem)
            throw new ProbesRejectedException(ProbeRejection.BadPath, $"path {problem}");
    }

    /// <summary>The user's account and the file's bytes, read as that user, bounded in size and time.</summary>
    public async Task<(string UserName, byte[] Bytes)> ReadAsync(JobRequest request, string path, CancellationToken ct)
    {
        if (UnixAccounts.LookupUser(request.Uid) is not { } account)
            throw new ProbesRejectedException(ProbeRejection.Unreadable, $"uid {request.Uid} has no account on this node");
        var bytes = await _reader.ReadAsUserAsync(path, request.Uid, account.Gid, account.Name, limits.File.MaxFileBytes, limits.ReadTimeout, ct).ConfigureAwait(false);
        return (account.Name, bytes);
    }
}

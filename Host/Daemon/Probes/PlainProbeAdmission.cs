using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Files;
using Datacrumbs.Daemon.Native;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Daemon.Probes;

/// <summary>
/// Admission without signatures, for demos and sites that have not set up a signer: the path
/// must be absolute, printable and name a regular file of bounded size; the tracer gets a
/// root-owned copy in the run dir, so later changes to the user's file do not reach it.
/// </summary>
public sealed class PlainProbeAdmission(string runDir, long maxBytes) : IProbeAdmission
{
    public async Task<string> AdmitAsync(JobRequest request, JobMetadata metadata, CancellationToken ct)
    {
        var path = metadata.Tracing!.ProbeFile;
        if (ProbeFilePath.Problem(path) is { } problem) throw new ArgumentException($"probe file path {problem}");
        var info = new FileInfo(path);
        if (!info.Exists) throw new InvalidOperationException($"probe file {path} does not exist");
        // A FIFO would block the open for ever and /dev/zero never ends: only regular files, and never more than the limit.
        if (!FileStatus.Of(path, followSymlink: true).IsRegularFile) throw new InvalidOperationException($"probe file {path} is not a regular file");
        if (info.Length > maxBytes) throw new InvalidOperationException($"probe file {path} is {info.Length} bytes; the limit is {maxBytes}");
        var content = await ReadExactlyAsync(path, info.Length, ct);
        var copy = Path.Combine(runDir, JobNames.ProbeCopy(request.Job));
        await AtomicFile.WriteAsync(copy, content, UnixFileMode.UserRead | UnixFileMode.UserWrite, ct);
        return copy;
    }

    /// <summary>Reads exactly the size stat reported: a file that changes meanwhile is refused, never read without bound.</summary>
    private static async Task<byte[]> ReadExactlyAsync(string path, long length, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.Asynchronous);
        var buffer = new byte[length + 1];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = await file.ReadAsync(buffer.AsMemory(total), ct)) > 0) total += n;
        if (total != length) throw new InvalidOperationException($"probe file {path} changed size while being read");
        return buffer[..total];
    }

    public Task ReleaseAsync(JobId job, CancellationToken ct)
    {
        File.Delete(Path.Combine(runDir, JobNames.ProbeCopy(job)));
        return Task.CompletedTask;
    }
}

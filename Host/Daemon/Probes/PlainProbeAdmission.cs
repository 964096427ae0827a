using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Files;
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
        if (info.Length > maxBytes) throw new InvalidOperationException($"probe file {path} is {info.Length} bytes; the limit is {maxBytes}");
        var content = await File.ReadAllBytesAsync(path, ct);
        var copy = Path.Combine(runDir, JobNames.ProbeCopy(request.Job));
        await AtomicFile.WriteAsync(copy, content, UnixFileMode.UserRead | UnixFileMode.UserWrite, ct);
        return copy;
    }

    public Task ReleaseAsync(JobId job, CancellationToken ct)
    {
        File.Delete(Path.Combine(runDir, JobNames.ProbeCopy(job)));
        return Task.CompletedTask;
    }
}

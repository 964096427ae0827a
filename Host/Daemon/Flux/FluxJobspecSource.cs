using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Metadata;
using Datacrumbs.Daemon.Users;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Daemon.Flux;

/// <summary>
/// The `flux` metadata source: runs <c>flux job info ID jobspec</c> against the prolog's
/// FLUX_URI and reads <c>.attributes.system.datacrumbs</c>. The lifecycle bounds the time
/// through the token; cancelling kills the flux process. Its output is bounded too.
/// </summary>
public sealed class FluxJobspecSource : IJobMetadataSource
{
    /// <summary>Jobspecs carry the user's environment and any --add-file content; 16 MiB is far above real ones.</summary>
    public const int DefaultMaxJobspecBytes = 16 * 1024 * 1024;

    private const int MaxStderrBytes = 64 * 1024;
    private static readonly TimeSpan ReapTimeout = TimeSpan.FromSeconds(5);

    private readonly string _fluxCommand;
    private readonly UserDirectory _users;
    private readonly int _maxJobspecBytes;

    /// <param name="fluxCommand">The flux executable: a name looked up on PATH, or a path.</param>
    public FluxJobspecSource(UserDirectory users, string fluxCommand = "flux", int maxJobspecBytes = DefaultMaxJobspecBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(fluxCommand);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxJobspecBytes, 1);
        _users = users;
        _fluxCommand = fluxCommand;
        _maxJobspecBytes = maxJobspecBytes;
    }

    public async Task<JobMetadata> ResolveAsync(JobRequest request, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var jobspec = await ReadJobspecAsync(request, ct).ConfigureAwait(false);
        var tracing = JobspecTracing.Read(request.Job, jobspec);
        return new JobMetadata(_users.NameOf(request.Uid), tracing);
    }

    private async Task<ReadOnlyMemory<byte>> ReadJobspecAsync(JobRequest request, CancellationToken ct)
    {
        var job = request.Job;
        var psi = new ProcessStartInfo(_fluxCommand)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Decimal: every flux-core release parses it, whatever its f58 support.
        psi.ArgumentList.Add("job");
        psi.ArgumentList.Add("info");
        psi.ArgumentList.Add(job.Format(JobIdFormat.Decimal));
        psi.ArgumentList.Add("jobspec");
        // A multi-user instance owned by a user (`flux`) refuses root unless its [access] has
        // allow-root-owner = true: read the jobspec as the owner, who may read every job.
        if (request.Origin?.OwnerUid is { } owner && owner != 0 && Environment.IsPrivilegedProcess)
        {
            psi.UserName = _users.NameOf(owner);
            psi.WorkingDirectory = "/";
        }
        if (request.Origin?.Address is { } uri)
        {
            if (uri.Length == 0 || uri.Length > 4096 || uri.Any(char.IsControl))
                throw new JobMetadataException($"job {job}: the prolog's FLUX_URI is unusable: '{UntrustedText.Printable(uri)}'");
            psi.Environment["FLUX_URI"] = uri;
        }
        else
        {
            // No URI: let flux find the system instance itself, never the daemon's own FLUX_URI.
            psi.Environment.Remove("FLUX_URI");
        }

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new JobMetadataException($"job {job}: cannot run '{_fluxCommand}' to read the jobspec: {e.Message}", e);
        }

        process.StandardInput.Close();
        // Process.Dispose does not close streams read directly (not through BeginOutputReadLine):
        // without these, each call's two pipes stay open until the finalizer runs.
        using var stdoutReader = process.StandardOutput;
        using var stderrReader = process.StandardError;
        using var overLimit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var stdout = ReadBoundedAsync(process.StandardOutput.BaseStream, _maxJobspecBytes, overLimit, ct);
        var stderr = ReadBoundedAsync(process.StandardError.BaseStream, MaxStderrBytes, null, ct);
        try
        {
            await process.WaitForExitAsync(overLimit.Token).ConfigureAwait(false);
            var (output, truncated) = await stdout.ConfigureAwait(false);
            var (errors, _) = await stderr.ConfigureAwait(false);
            if (truncated) throw TooLarge(job);
            if (process.ExitCode != 0)
                throw new JobMetadataException(
                    $"job {job}: flux job info failed (exit {process.ExitCode.ToString(CultureInfo.InvariantCulture)}): {FirstLine(errors)}");
            return output;
        }
        catch (OperationCanceledException)
        {
            await KillAsync(process, stdout, stderr).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            throw TooLarge(job); // only the output limit cancels without the caller's token
        }
    }

    private JobMetadataException TooLarge(JobId job) =>
        new($"job {job}: flux job info printed more than {_maxJobspecBytes} bytes; jobspec not read");

    /// <summary>
    /// Reads a stream to its end, keeping at most <paramref name="limit"/> bytes. Over the
    /// limit: cancels <paramref name="onOverflow"/> when given (stop now), else keeps draining
    /// so the writer never blocks.
    /// </summary>
    private static async Task<(ReadOnlyMemory<byte> Data, bool Truncated)> ReadBoundedAsync(
        Stream stream, int limit, CancellationTokenSource? onOverflow, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        var truncated = false;
        int n;
        while ((n = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            var room = limit - (int)buffer.Length;
            if (n > room)
            {
                truncated = true;
                buffer.Write(chunk, 0, Math.Max(room, 0));
                if (onOverflow is not null)
                {
                    await onOverflow.CancelAsync().ConfigureAwait(false);
                    break;
                }
                continue;
            }
            buffer.Write(chunk, 0, n);
        }
        return (buffer.GetBuffer().AsMemory(0, (int)buffer.Length), truncated);
    }

    private static async Task KillAsync(Process process, params Task[] readers)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // already exited
        // Reap it and let the readers see EOF; something stuck in the kernel must not hold
        // the lifecycle forever, so this wait is bounded too.
        using var reap = new CancellationTokenSource(ReapTimeout);
        try { await process.WaitForExitAsync(reap.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        try { await Task.WhenAll(readers).WaitAsync(reap.Token).ConfigureAwait(false); }
        catch (Exception) { } // cancelled or broken reads: the process is gone, nothing to report
    }

    /// <summary>The first line of flux's stderr, bounded and with control characters escaped.</summary>
    private static string FirstLine(ReadOnlyMemory<byte> stderr)
    {
        var text = Encoding.UTF8.GetString(stderr.Span);
        var line = text.Split('\n', 2)[0].TrimEnd('\r');
        if (line.Length == 0) return "(nothing on stderr)";
        var sb = new StringBuilder();
        foreach (var c in line.Length > 300 ? line[..300] : line)
            if (char.IsControl(c)) sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            else sb.Append(c);
        if (line.Length > 300) sb.Append("...");
        return sb.ToString();
    }
}

using System.Diagnostics;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Daemon.Probes;

/// <summary>
/// Reads a file exactly as a given user could: through a short-lived child running as that user's
/// uid, primary gid and supplementary groups (<c>setpriv --reuid --regid --init-groups -- head -c</c>).
/// The kernel then applies that user's permissions to every path component and symlink, so a link
/// to a file only root may read fails here just as it would for the user. The child gets stdin,
/// stdout and stderr only (<see cref="Native.InheritableDescriptors"/>).
/// </summary>
public sealed class UserFileReader
{
    private readonly string _setpriv = FindTool("setpriv");
    private readonly string _head = FindTool("head");

    /// <summary>Returns the file's bytes; throws <see cref="ProbesRejectedException"/> when the user cannot read it or it is too large.</summary>
    public async Task<byte[]> ReadAsUserAsync(string path, uint uid, uint gid, string userName, long maxBytes, TimeSpan timeout, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(_setpriv)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var arg in (string[])[$"--reuid={uid}", $"--regid={gid}", "--init-groups", "--no-new-privs", "--", _head, "-c", (maxBytes + 1).ToString(), "--", path])
            psi.ArgumentList.Add(arg);
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/bin:/bin";
        psi.Environment["LC_ALL"] = "C";

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        // The child runs as the user: it must not hold any of root's descriptors.
        Native.InheritableDescriptors.CloseAllOnExec();
        using var child = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {_setpriv}");
        child.StandardInput.Close();
        // Process.Dispose does not close streams read directly: close them, or the pipes wait for the finalizer.
        using var stdoutReader = child.StandardOutput;
        using var stderrReader = child.StandardError;
        try
        {
            var stderr = ReadTextAsync(child.StandardError.BaseStream, 2048, deadline.Token);
            var content = await ReadUpToAsync(child.StandardOutput.BaseStream, maxBytes + 1, deadline.Token);
            if (content.Length > maxBytes)
            {
                Kill(child);
                throw new ProbesRejectedException(ProbeRejection.TooLarge, $"file is larger than the limit of {ProbeFileLimits.Describe(maxBytes)}");
            }
            await child.WaitForExitAsync(deadline.Token);
            if (child.ExitCode != 0)
            {
                // "head: cannot open '<path>' for reading: Permission denied": the path is in our message already.
                var text = (await stderr).Trim();
                var why = UntrustedText.Printable(text.LastIndexOf(": ", StringComparison.Ordinal) is var i and >= 0 ? text[(i + 2)..] : text);
                throw new ProbesRejectedException(ProbeRejection.Unreadable,
                    $"{UntrustedText.Printable(userName)} (uid {uid}) cannot read it: {(why.Length > 0 ? why : $"reader exited with {child.ExitCode}")}");
            }
            return content;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Kill(child);
            throw new ProbesRejectedException(ProbeRejection.Unreadable,
                $"reading it as {UntrustedText.Printable(userName)} (uid {uid}) did not finish within {timeout.TotalSeconds:0.#} s (a FIFO, or a hung file system?)");
        }
        finally
        {
            Kill(child);
        }
    }

    private static async Task<byte[]> ReadUpToAsync(Stream stream, long limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        while (buffer.Length < limit)
        {
            var n = await stream.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, limit - buffer.Length)), ct);
            if (n == 0) break;
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    private static async Task<string> ReadTextAsync(Stream stream, int limit, CancellationToken ct)
    {
        var bytes = await ReadUpToAsync(stream, limit, ct);
        return System.Text.Encoding.UTF8.GetString(bytes);
    }

    private static void Kill(Process child)
    {
        try { if (!child.HasExited) child.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { /* already gone */ }
    }

    private static string FindTool(string name) =>
        new[] { $"/usr/bin/{name}", $"/bin/{name}" }.FirstOrDefault(File.Exists)
        ?? throw new FileNotFoundException($"{name} not found in /usr/bin or /bin (util-linux and coreutils are required to read probe files as the job's user)");
}

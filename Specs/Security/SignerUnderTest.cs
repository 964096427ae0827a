using System.Diagnostics;
using System.Net;
using System.Text;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.Security;

/// <summary>
/// A real signer of one spec's own: started on a configuration, returned once it listens, every
/// output line kept (and handed to <c>onLine</c> as it comes), killed if still running at the end.
/// </summary>
public sealed class SignerUnderTest : IDisposable
{
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SignerUnderTest(string config, Action<string>? onLine)
    {
        Process = SignerFixture.Start(config, line =>
        {
            lock (_output) _output.AppendLine(line);
            // "listening on tcp 127.0.0.1:43123 (...)": printed before the Unix socket's line, both already listening.
            if (line.StartsWith("listening on tcp ", StringComparison.Ordinal))
                TcpEndPoint = IPEndPoint.Parse(line["listening on tcp ".Length..line.IndexOf(' ', "listening on tcp ".Length)]);
            if (line.StartsWith("listening on", StringComparison.Ordinal)) _listening.TrySetResult();
            onLine?.Invoke(line);
        });
        Process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException($"the signer exited: {Output}"));
        if (Process.HasExited) _listening.TrySetException(new InvalidOperationException($"the signer exited: {Output}"));
    }

    public Process Process { get; }

    /// <summary>Where the signer serves upstream's JSON-RPC (the port the system chose), when its configuration has tcp_listen.</summary>
    public IPEndPoint? TcpEndPoint { get; private set; }

    public string Output { get { lock (_output) return _output.ToString(); } }

    public static async Task<SignerUnderTest> StartAsync(string config, Action<string>? onLine = null)
    {
        var signer = new SignerUnderTest(config, onLine);
        try { await signer._listening.Task.WaitAsync(TimeSpan.FromSeconds(60)); }
        catch
        {
            signer.Dispose();
            throw;
        }
        return signer;
    }

    public void Dispose()
    {
        if (!Process.HasExited) Process.Kill();
        Process.Dispose();
    }
}

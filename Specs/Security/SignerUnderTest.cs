using System.Diagnostics;
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
            if (line.StartsWith("listening on", StringComparison.Ordinal)) _listening.TrySetResult();
            onLine?.Invoke(line);
        });
        Process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException($"the signer exited: {Output}"));
        if (Process.HasExited) _listening.TrySetException(new InvalidOperationException($"the signer exited: {Output}"));
    }

    public Process Process { get; }

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

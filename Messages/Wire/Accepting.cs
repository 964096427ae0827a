using System.Net.Sockets;

namespace Datacrumbs.Messages.Wire;

/// <summary>
/// The next client of a listening socket, for the daemon's and the signer's accept loops. Running out
/// of descriptors (EMFILE, ENFILE) or a client that gave up before it was accepted must not end a
/// server: such a failure is reported and the accept tried again after a pause (the kernel's backlog
/// holds the waiting clients meanwhile; the pause keeps a lasting shortage from spinning a core).
/// Only stopping, or the listener's own end, ends the loop.
/// </summary>
public static class Accepting
{
    public static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(100);
    /// <summary>A lasting shortage is reported once, then every this many tries (5 s), not ten times a second.</summary>
    private const int ReportEvery = 50;

    /// <summary>
    /// The next client, or null when <paramref name="stop"/> is cancelled or the listener is closed.
    /// <paramref name="failed"/> hears of a failed accept and how many in a row failed so far.
    /// </summary>
    public static async Task<Socket?> NextAsync(Socket listener, Action<SocketException, int> failed, CancellationToken stop)
    {
        for (var failures = 0; !stop.IsCancellationRequested;)
        {
            try { return await listener.AcceptAsync(stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { return null; }
            catch (ObjectDisposedException) { return null; }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted or SocketError.Shutdown) { return null; }
            catch (SocketException e)
            {
                if (failures++ % ReportEvery == 0) failed(e, failures);
                try { await Task.Delay(RetryPause, stop).ConfigureAwait(false); }
                catch (OperationCanceledException) { return null; }
            }
        }
        return null;
    }
}

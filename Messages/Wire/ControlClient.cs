using System.Net.Sockets;

namespace Datacrumbs.Messages.Wire;

/// <summary>
/// One request, one reply, over the daemon's Unix stream socket, all within a deadline.
/// Used by datacrumbsctl (NativeAOT), the demo and the specs. A connection that breaks before the
/// reply (the daemon died or restarted) is an <see cref="IOException"/>; a reply that breaks the
/// protocol is a <see cref="ProtocolException"/>.
/// </summary>
public static class ControlClient
{
    public static async Task<ControlReply> SendAsync(string socketPath, ControlRequest request, TimeSpan timeout, CancellationToken ct = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), deadline.Token).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await Frames.WriteAsync(stream, request, WireJson.Default.ControlRequest, deadline.Token).ConfigureAwait(false);
            return await Frames.ReadAsync(stream, WireJson.Default.ControlReply, Frames.DefaultMaxReplyBytes, deadline.Token).ConfigureAwait(false)
                   ?? throw ClosedWithoutReply();
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw NoReplyWithin(socketPath, timeout);
        }
    }

    /// <summary>What every client of the control socket says when the daemon hung up instead of answering.</summary>
    public static IOException ClosedWithoutReply() => new("the daemon closed the connection without replying (did it stop or restart?)");

    /// <summary>What every client of the control socket says when its deadline passed.</summary>
    public static TimeoutException NoReplyWithin(string socketPath, TimeSpan timeout) =>
        new($"no reply from the daemon at {socketPath} within {timeout.TotalSeconds:0.#} s");
}

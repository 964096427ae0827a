using System.Collections.Concurrent;
using System.Net.Sockets;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Specs.Flux;

/// <summary>
/// A control socket that answers every request with one reply (or holds it unanswered), and keeps
/// the requests it read: what a client on the hook path sends and does with the daemon's answer,
/// without a daemon.
/// </summary>
public sealed class StandInDaemonSocket : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly Func<ControlRequest, ControlReply?> _answer;

    public string Path { get; }
    public ConcurrentQueue<ControlRequest> Requests { get; } = new();
    /// <summary>Completes when the first request has been read (the client is then waiting for its answer).</summary>
    public TaskCompletionSource<ControlRequest> FirstRequest { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="answer">The reply to a request; null holds the connection open, unanswered.</param>
    public StandInDaemonSocket(string path, Func<ControlRequest, ControlReply?> answer)
    {
        Path = path;
        _answer = answer;
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(16);
        _accepting = AcceptAsync();
    }

    private async Task AcceptAsync()
    {
        var held = new List<Socket>();
        try
        {
            while (true)
            {
                var client = await _listener.AcceptAsync(_stop.Token);
                await using var stream = new NetworkStream(client, ownsSocket: false);
                var request = await Frames.ReadAsync(stream, WireJson.Default.ControlRequest, Frames.DefaultMaxRequestBytes, _stop.Token);
                if (request is null) { client.Dispose(); continue; }
                Requests.Enqueue(request);
                FirstRequest.TrySetResult(request);
                if (_answer(request) is { } reply)
                {
                    await Frames.WriteAsync(stream, reply, WireJson.Default.ControlReply, _stop.Token);
                    client.Dispose();
                }
                else held.Add(client);
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            foreach (var s in held) s.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        File.Delete(Path);
        _stop.Dispose();
    }
}

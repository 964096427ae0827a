using System.Net.Sockets;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Specs.Ctl;

/// <summary>
/// A stand-in for the daemon on a real Unix socket that answers each connection as a script
/// says: hang up after reading the request (a daemon killed mid-request), hold it unanswered (a
/// hung daemon), or reply. It records every request, so a spec can tell how often the client
/// tried. Once the script is used up it stops listening and removes its socket, as a killed
/// daemon's socket stops answering; held connections stay open until it is disposed.
/// </summary>
public sealed class ScriptedDaemon : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly Queue<ControlReply?> _script;
    private readonly List<ControlRequest> _requests = [];
    private readonly TaskCompletionSource _scriptDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _serving;

    public string Socket { get; }

    /// <summary>What the daemon does with each connection, in order: null hangs up, a reply is sent.</summary>
    public ScriptedDaemon(string socketPath, params ControlReply?[] script)
    {
        Socket = socketPath;
        _script = new Queue<ControlReply?>(script);
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        _listener.Listen(16);
        _serving = ServeAsync();
    }

    public static ControlReply? HangUp => null;

    /// <summary>A step that reads the request and never answers (the connection stays open).</summary>
    public static readonly ControlReply Hold = new() { Status = ReplyStatus.Unavailable, Message = "(held, never sent)" };

    /// <summary>Completes with the first request read: its client is then waiting for the answer.</summary>
    public Task<ControlRequest> FirstRequest => _firstRequest.Task;
    private readonly TaskCompletionSource<ControlRequest> _firstRequest = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Socket> _held = [];

    public IReadOnlyList<ControlRequest> Requests { get { lock (_requests) return [.. _requests]; } }

    /// <summary>Completes when every step of the script has been played (bounded by the caller).</summary>
    public Task ScriptDone => _scriptDone.Task;

    private async Task ServeAsync()
    {
        try
        {
            while (_script.Count > 0)
            {
                var client = await _listener.AcceptAsync();
                await using var stream = new NetworkStream(client, ownsSocket: false);
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                var request = await Frames.ReadAsync(stream, WireJson.Default.ControlRequest, Frames.DefaultMaxRequestBytes, deadline.Token);
                if (request is not null)
                {
                    lock (_requests) _requests.Add(request);
                    _firstRequest.TrySetResult(request);
                }
                var step = _script.Dequeue();
                if (ReferenceEquals(step, Hold)) { lock (_held) _held.Add(client); continue; }
                using (client)
                    if (step is { } reply)
                        await Frames.WriteAsync(stream, reply with { Job = request?.Job }, WireJson.Default.ControlReply, deadline.Token);
            }
            Stop();
            _scriptDone.TrySetResult();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or IOException or ProtocolException)
        {
            _scriptDone.TrySetException(e);
        }
    }

    private void Stop()
    {
        _listener.Dispose();
        File.Delete(Socket);
    }

    public async ValueTask DisposeAsync()
    {
        Stop();
        lock (_held) foreach (var client in _held) client.Dispose();
        await _serving.WaitAsync(TimeSpan.FromSeconds(30));
    }
}

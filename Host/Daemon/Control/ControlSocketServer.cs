using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Datacrumbs.Daemon.Native;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Messages.Unix;
using Microsoft.Extensions.Logging;

namespace Datacrumbs.Daemon.Control;

/// <summary>
/// The daemon's Unix stream socket: one request and one reply per connection. Every connection
/// is bounded: a slot (<see cref="ConnectionSlots"/>; beyond them the client is told the daemon
/// is busy), a deadline to send its request, a frame size limit. A bad
/// client gets an error naming its mistake and never disturbs the others.
/// </summary>
public sealed class ControlSocketServer(ControlSocketOptions options, RequestHandler handler, ConnectionSlots slots, ILogger<ControlSocketServer> log) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    /// <summary>Connections being served, so that stopping waits for their "shutting down" replies.</summary>
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private Socket? _listener;
    /// <summary>systemd owns the socket's file: the daemon neither removes nor replaces it.</summary>
    private bool _fromSystemd;
    private Task? _acceptLoop;

    /// <summary>
    /// Listens: on <paramref name="fromSystemd"/> when systemd passed this socket (socket
    /// activation: systemd made the file with its unit's mode and keeps listening while the daemon
    /// restarts), else on a socket of its own at the configured path.
    /// </summary>
    public void Start(Socket? fromSystemd = null)
    {
        if (fromSystemd is null) Bind();
        else Adopt(fromSystemd);
        _acceptLoop = Task.Run(AcceptLoopAsync);
        log.LogInformation("listening on {Socket} (mode {Mode}{From})", options.Path, Convert.ToString((int)File.GetUnixFileMode(options.Path), 8),
            _fromSystemd ? ", from systemd" : "");
    }

    private void Bind()
    {
        if (File.Exists(options.Path)) File.Delete(options.Path); // a stale socket from an earlier run
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(options.Path));
        // Who may connect is the file's mode; what a caller may do is decided per request from SO_PEERCRED.
        if (options.Group is { } group && Libc.chown(options.Path, uint.MaxValue, group) != 0)
            throw new IOException($"cannot give {options.Path} to group {group}: {Marshal.GetLastPInvokeErrorMessage()}");
        File.SetUnixFileMode(options.Path, options.Mode);
        _listener.Listen(512);
    }

    /// <summary>
    /// Serves the socket systemd listens on. Its path must be the configured one (the clients
    /// look there); its mode and group are the socket unit's, and a difference from what the
    /// daemon would set is said, not changed behind systemd's back.
    /// </summary>
    private void Adopt(Socket socket)
    {
        var path = (socket.LocalEndPoint as UnixDomainSocketEndPoint)?.ToString();
        if (path != options.Path)
        {
            socket.Dispose();
            throw new InvalidOperationException(
                $"systemd passed the socket {path ?? "(unnamed)"} where datacrumbsd is configured for {options.Path}: make ListenStream= in the socket unit and the configuration name the same path");
        }
        _listener = socket;
        _fromSystemd = true;
        var file = FileStatus.Of(options.Path);
        if (file.Mode != options.Mode || (options.Group is { } wanted && file.Gid != wanted))
            log.LogWarning("{Socket} from systemd has mode {Mode} and group {Gid}; datacrumbsd's configuration asks for mode {Wanted}{WantedGroup}: set SocketMode=/SocketGroup= in its socket unit",
                options.Path, Convert.ToString((int)file.Mode, 8), file.Gid, Convert.ToString((int)options.Mode, 8),
                options.Group is { } g ? $" and group {g}" : "");
    }

    private async Task AcceptLoopAsync()
    {
        while (await Accepting.NextAsync(_listener!, (e, times) => log.LogError("accept on {Socket} failed ({Times} in a row): {Cause}; still serving", options.Path, times, e.Message), _stopping.Token) is { } client)
        {
            var serving = ServeAsync(client);
            _inFlight.TryAdd(serving, 0);
            _ = serving.ContinueWith(done => _inFlight.TryRemove(done, out _), TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var _ = client;
        await using var stream = new NetworkStream(client, ownsSocket: false);
        PeerCredentials caller;
        try { caller = PeerCredentials.Of(client); }
        catch (Exception e) when (e is SocketException or InvalidOperationException)
        {
            log.LogWarning("could not identify a control client: {Cause}", e.Message);
            return;
        }
        if (!slots.TryAcquire(caller))
        {
            await TryReplyAsync(stream, ControlReply.Error(ReplyStatus.Unavailable,
                $"the daemon is busy (uid {caller.Uid} or all users hold too many open connections); try again"));
            return;
        }
        try
        {
            var request = await ReadRequestAsync(stream);
            if (request.Reply is { } error)
            {
                log.LogWarning("rejected a request from uid {CallerUid} (pid {CallerPid}): {Cause}", caller.Uid, caller.Pid, error.Message);
                await TryReplyAsync(stream, error);
                return;
            }
            var reply = await handler.HandleAsync(request.Request!, caller, _stopping.Token);
            await TryReplyAsync(stream, reply);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            await TryReplyAsync(stream, ControlReply.Error(ReplyStatus.Unavailable, "the daemon is shutting down"));
        }
        catch (Exception e)
        {
            log.LogError(e, "control connection failed: {Cause}", e.Message);
            await TryReplyAsync(stream, ControlReply.Error(ReplyStatus.Unavailable, $"internal error: {e.Message}"));
        }
        finally
        {
            slots.Release(caller);
        }
    }

    private async Task<(ControlRequest? Request, ControlReply? Reply)> ReadRequestAsync(NetworkStream stream)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        deadline.CancelAfter(options.RequestReadTimeout);
        try
        {
            var request = await Frames.ReadAsync(stream, WireJson.Default.ControlRequest, options.MaxRequestBytes, deadline.Token);
            return request is null
                ? (null, ControlReply.Error(ReplyStatus.BadRequest, "connection closed before a request was sent"))
                : (request, null);
        }
        catch (ProtocolException e)
        {
            return (null, ControlReply.Error(ReplyStatus.BadRequest, $"bad request: {e.Message}"));
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            return (null, ControlReply.Error(ReplyStatus.BadRequest, $"no complete request within {options.RequestReadTimeout.TotalSeconds:0.#} s"));
        }
    }

    /// <summary>Replies within a short deadline; a client that went away or never reads is not our problem.</summary>
    private async Task TryReplyAsync(NetworkStream stream, ControlReply reply)
    {
        try
        {
            using var deadline = new CancellationTokenSource(options.RequestReadTimeout);
            await Frames.WriteAsync(stream, reply, WireJson.Default.ControlReply, deadline.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            log.LogDebug("could not send a reply: {Cause}", e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener?.Dispose();
        if (_acceptLoop is not null) await _acceptLoop;
        // Each one answers within its reply deadline once stopping is signalled; none throws.
        await Task.WhenAll(_inFlight.Keys);
        // systemd's socket outlives the daemon: connections queue there until the next one starts.
        if (!_fromSystemd && File.Exists(options.Path)) File.Delete(options.Path);
        _stopping.Dispose();
    }
}

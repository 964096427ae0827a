using System.Diagnostics;
using System.Net.Sockets;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Text;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Ctl;

/// <summary>
/// One request to the daemon, and what its reply means as a line of text and an exit code.
/// Prologs and epilogs are idempotent, so a call that meets a restarting daemon (no socket yet,
/// nothing listening, the connection dropped before the reply, "unavailable") is tried again
/// within <c>retryFor</c>. Under systemd the sockets are systemd's: a connect while the daemon
/// restarts is queued, not refused, and waits for the new daemon's reply within the deadline,
/// so only a cut-off request needs a second try; the window is for hosts without systemd. Nothing is printed until the final answer, because
/// the hooks pass on the first line.
/// </summary>
internal static class DaemonCall
{
    public const string DefaultSocket = "/run/datacrumbs/datacrumbsd.sock";
    /// <summary>The hooks' own socket (root and the daemon's HookSocketGroup only): no user can crowd it.</summary>
    public const string HookSocket = "/run/datacrumbs/hooks.sock";

    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(1);

    /// <summary>The sockets to try in order: the one named, else the hooks' socket when this caller may use it, else the public one.</summary>
    public static IReadOnlyList<string> Sockets(string? named) => named is { Length: > 0 } ? [named] : [HookSocket, DefaultSocket];

    /// <summary>How one request reaches the daemon: <see cref="ControlClient.SendAsync"/>, unless a caller brings a leaner one.</summary>
    public delegate Task<ControlReply> Transport(string socket, ControlRequest request, TimeSpan timeout, CancellationToken ct);

    public static async Task<(ControlReply? Reply, int Exit)> SendAsync(
        IReadOnlyList<string> sockets, ControlRequest request, TimeSpan timeout, TimeSpan retryFor, CancellationToken ct, Transport? transport = null)
    {
        transport ??= ControlClient.SendAsync;
        var clock = Stopwatch.StartNew();
        var pause = FirstPause;
        for (var attempt = 1; ; attempt++)
        {
            var result = await TryEachAsync(transport, sockets, request, timeout - clock.Elapsed, ct);
            var retryLeft = (retryFor < timeout ? retryFor : timeout) - clock.Elapsed;
            if (!result.Transient || retryLeft <= pause || ct.IsCancellationRequested)
            {
                // Whoever had a retry window learns that it was used, even if a slow machine left room for one try only.
                if (result.Error is { } error)
                    Console.Error.WriteLine(attempt == 1 && (!result.Transient || retryFor <= TimeSpan.Zero)
                        ? $"{Prefix(request)}{error}"
                        : $"{Prefix(request)}{error} (tried {attempt} {(attempt == 1 ? "time" : "times")} in {clock.Elapsed.TotalSeconds:0.#} s)");
                return (result.Reply, result.Exit);
            }
            await Task.Delay(pause, ct);
            pause = pause * 2 < LongestPause ? pause * 2 : LongestPause;
        }
    }

    /// <summary>
    /// "datacrumbs: JOB: " for a job's request, in the one form every line uses (f58, ASCII f), so
    /// the hooks' line in `flux dmesg` names the job even when the daemon never saw it.
    /// </summary>
    private static string Prefix(ControlRequest request) => request.Job switch
    {
        null => "datacrumbs: ",
        var text when JobId.TryParse(text, out var id, out _) => $"datacrumbs: {id}: ",
        var text => $"datacrumbs: {UntrustedText.Printable(text)}: ",
    };

    /// <summary>One attempt: a reply, or the error (without the prefix) and exit code, and whether trying again may help.</summary>
    private readonly record struct Attempt(ControlReply? Reply, int Exit, string? Error, bool Transient, bool NotForThisCaller = false);

    private static async Task<Attempt> TryEachAsync(Transport transport, IReadOnlyList<string> sockets, ControlRequest request, TimeSpan timeout, CancellationToken ct)
    {
        for (var i = 0; ; i++)
        {
            var last = i == sockets.Count - 1;
            if (!last && !File.Exists(sockets[i])) continue;
            var attempt = await TryOnceAsync(transport, sockets[i], request, timeout, ct);
            if (last || !attempt.NotForThisCaller) return attempt;
        }
    }

    private static async Task<Attempt> TryOnceAsync(Transport transport, string socket, ControlRequest request, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            var reply = await transport(socket, request, timeout, ct);
            return new(reply, ExitCodes.Ok, null, reply.Status == ReplyStatus.Unavailable);
        }
        catch (SocketException e)
        {
            var missing = !File.Exists(socket);
            var why = missing ? "no such socket"
                : e.SocketErrorCode == SocketError.ConnectionRefused ? "nothing is listening"
                : e.SocketErrorCode == SocketError.AccessDenied ? "permission denied"
                : e.SocketErrorCode == SocketError.WouldBlock ? "its queue of new connections is full"
                : e.Message;
            // WouldBlock: the listen backlog is full (a burst of clients, or a user flooding the socket).
            var transient = missing || e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.WouldBlock;
            return new(null, ExitCodes.DaemonUnreachable,
                $"cannot reach the daemon at {socket}: {why} (is datacrumbsd running? see --socket)", transient,
                NotForThisCaller: missing || e.SocketErrorCode == SocketError.AccessDenied);
        }
        catch (TimeoutException e)
        {
            return new(null, ExitCodes.NoReplyInTime, e.Message, false);
        }
        catch (ProtocolException e)
        {
            return new(null, ExitCodes.Rejected, $"broken reply from the daemon: {e.Message}", false);
        }
        catch (IOException e)
        {
            return new(null, ExitCodes.DaemonUnreachable, $"lost the connection to the daemon at {socket}: {e.Message}", true);
        }
    }

    /// <summary>Prints the one line the hooks pass on to `flux dmesg`, and maps the reply to an exit code.</summary>
    public static int Report(ControlReply reply)
    {
        var job = reply.Job ?? "-";
        switch (reply.Status)
        {
            case ReplyStatus.Ok:
                // Most jobs do not ask for tracing: their prologs stay silent in `flux dmesg`.
                if (reply.Outcome != Outcome.NotRequested)
                    Console.WriteLine($"datacrumbs: {job}: {Describe(reply.Outcome)}: {reply.Message}");
                return reply.Outcome == Outcome.Failed
                    ? reply.Policy == FailurePolicy.Fail ? ExitCodes.TracingFailedJobMustFail : ExitCodes.TracingFailedJobContinues
                    : ExitCodes.Ok;
            case ReplyStatus.Forbidden:
                Console.Error.WriteLine($"datacrumbs: {job}: forbidden: {reply.Message}");
                return ExitCodes.Forbidden;
            case ReplyStatus.Unavailable:
                Console.Error.WriteLine($"datacrumbs: {job}: daemon unavailable: {reply.Message}");
                return ExitCodes.NoReplyInTime;
            default:
                Console.Error.WriteLine($"datacrumbs: {job}: rejected: {reply.Message}");
                return ExitCodes.Rejected;
        }
    }

    private static string Describe(Outcome? outcome) => outcome switch
    {
        Outcome.Ready => "ready",
        Outcome.NotRequested => "not requested",
        Outcome.Failed => "FAILED",
        Outcome.Canceled => "canceled",
        Outcome.Stopped => "stopped",
        _ => "done",
    };
}

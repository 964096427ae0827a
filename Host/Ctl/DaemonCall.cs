using System.Net.Sockets;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Ctl;

/// <summary>One request to the daemon, and what its reply means as a line of text and an exit code.</summary>
internal static class DaemonCall
{
    public const string DefaultSocket = "/run/datacrumbs/datacrumbsd.sock";

    public static async Task<(ControlReply? Reply, int Exit)> SendAsync(string socket, ControlRequest request, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            return (await ControlClient.SendAsync(socket, request, timeout, ct), ExitCodes.Ok);
        }
        catch (Exception e) when (e is SocketException or TimeoutException or ProtocolException or IOException)
        {
            return (null, Failure(socket, e, ""));
        }
    }

    /// <summary>How long a prolog or epilog waits for a crashed daemon to be back (systemd: RestartSec=2s plus its start).</summary>
    public static readonly TimeSpan RestartGrace = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A prolog, epilog or wrapper request (all idempotent: a repeated prolog joins the job's
    /// lifecycle, a repeated epilog answers stopped), sent again while a crashed daemon restarts,
    /// so that a crash neither strands a job's tracer (an epilog that never reached a daemon) nor
    /// needlessly leaves a job untraced. A crashed daemon leaves its socket behind (a clean stop
    /// removes it) and systemd restarts it (Restart=on-failure): a refused connection on a present
    /// socket, a connection broken before the reply, or Unavailable are retried with a short
    /// backoff, for at most <see cref="RestartGrace"/> and within the caller's deadline. A missing
    /// socket (no daemon running), a refusal or no reply in time fail at once.
    /// </summary>
    public static async Task<(ControlReply? Reply, int Exit)> SendSurvivingRestartAsync(string socket, ControlRequest request, TimeSpan timeout, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var deadline = started + timeout;
        var retryEnds = started + (RestartGrace < timeout ? RestartGrace : timeout);
        for (var (pause, attempts) = (TimeSpan.FromMilliseconds(100), 1); ; pause = Min(pause * 2, TimeSpan.FromSeconds(1)), attempts++)
        {
            ControlReply? reply = null;
            Exception? failure = null;
            try
            {
                reply = await ControlClient.SendAsync(socket, request, Max(deadline - DateTime.UtcNow, TimeSpan.FromMilliseconds(1)), ct);
            }
            catch (Exception e) when (e is SocketException or TimeoutException or ProtocolException or IOException)
            {
                failure = e;
            }
            var cutOff = reply?.Status == ReplyStatus.Unavailable
                         || failure is ProtocolException or IOException
                         || (failure is SocketException { SocketErrorCode: SocketError.ConnectionRefused } && File.Exists(socket));
            if (!cutOff || DateTime.UtcNow + pause >= retryEnds)
            {
                var retried = attempts > 1 ? $" (tried {attempts} times in {(DateTime.UtcNow - started).TotalSeconds:0} s)" : "";
                return reply is not null ? (reply, ExitCodes.Ok) : (null, Failure(socket, failure!, retried));
            }
            await Task.Delay(pause, ct); // a reconnect backoff, bounded by the grace and the deadline
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static int Failure(string socket, Exception failure, string retried)
    {
        switch (failure)
        {
            case SocketException e:
                var why = !File.Exists(socket) ? "no such socket"
                    : e.SocketErrorCode == SocketError.ConnectionRefused ? "nothing is listening"
                    : e.SocketErrorCode == SocketError.AccessDenied ? "permission denied"
                    : e.Message;
                Console.Error.WriteLine($"datacrumbs: cannot reach the daemon at {socket}: {why}{retried} (is datacrumbsd running? see --socket)");
                return ExitCodes.DaemonUnreachable;
            case TimeoutException e:
                Console.Error.WriteLine($"datacrumbs: {e.Message}{retried}");
                return ExitCodes.NoReplyInTime;
            default:
                Console.Error.WriteLine($"datacrumbs: broken reply from the daemon: {failure.Message}{retried}");
                return ExitCodes.Rejected;
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

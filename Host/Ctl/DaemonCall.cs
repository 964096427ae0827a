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
        catch (SocketException e)
        {
            var why = !File.Exists(socket) ? "no such socket"
                : e.SocketErrorCode == SocketError.ConnectionRefused ? "nothing is listening"
                : e.SocketErrorCode == SocketError.AccessDenied ? "permission denied"
                : e.Message;
            Console.Error.WriteLine($"datacrumbs: cannot reach the daemon at {socket}: {why} (is datacrumbsd running? see --socket)");
            return (null, ExitCodes.DaemonUnreachable);
        }
        catch (TimeoutException e)
        {
            Console.Error.WriteLine($"datacrumbs: {e.Message}");
            return (null, ExitCodes.NoReplyInTime);
        }
        catch (Exception e) when (e is ProtocolException or IOException)
        {
            Console.Error.WriteLine($"datacrumbs: broken reply from the daemon: {e.Message}");
            return (null, ExitCodes.Rejected);
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

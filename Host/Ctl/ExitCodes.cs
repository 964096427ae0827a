namespace Datacrumbs.Ctl;

/// <summary>datacrumbsctl's exit codes; the Flux hooks map them, so they never change meaning.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int TracingFailedJobMustFail = 1;
    public const int Usage = 2;
    public const int DaemonUnreachable = 3;
    public const int Forbidden = 4;
    public const int NoReplyInTime = 5;
    public const int Rejected = 6;
    public const int TracingFailedJobContinues = 10;

    public const string Help = """
        Exit codes:
          0   done: tracer ready, tracing not requested, or tracing stopped
          1   tracing failed and the daemon's policy is 'fail' (Flux cancels the job)
          2   usage error
          3   the daemon is not reachable (is datacrumbsd running? see --socket)
          4   forbidden: only root and the Flux instance owner may start or stop tracing
          5   no reply from the daemon in time (see --timeout)
          6   the daemon rejected the request, or spoke nonsense
          10  tracing failed and the policy is 'continue': the job runs untraced
        """;
}

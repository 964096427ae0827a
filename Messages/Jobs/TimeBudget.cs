namespace Datacrumbs.Messages.Jobs;

/// <summary>
/// How long a prolog and an epilog may take, defined once: the daemon's state timeouts (the
/// defaults of Timeouts:* in datacrumbsd.json), how much longer the daemon waits before it
/// answers, and how long the client waits for that answer. The hooks, the tracer unit and
/// job-manager.toml carry numbers of their own (a shell script and a TOML file cannot read
/// this); TimeBudgetSpecs reads them and checks them against this file.
/// </summary>
public static class TimeBudget
{
    public static readonly TimeSpan Resolve = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan WriteEnv = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan Start = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Ready = TimeSpan.FromSeconds(120);

    /// <summary>
    /// SIGINT to SIGKILL when a tracer stops: the runtime finalizes its trace meanwhile
    /// (the unit's TimeoutStopSec, the process backend's KillAfterSeconds).
    /// </summary>
    public static readonly TimeSpan TracerStop = TimeSpan.FromSeconds(300);

    /// <summary>The daemon's stop: above the tracer's own, so its SIGKILL lands while the daemon still waits.</summary>
    public static readonly TimeSpan Stop = TracerStop + TimeSpan.FromSeconds(30);

    /// <summary>How much longer than the longest lifecycle the daemon waits before it answers "did not answer in time".</summary>
    public static readonly TimeSpan AnswerMargin = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the client keeps sending a request again after a refused connect, a missing
    /// socket, a cut-off connection or "unavailable". Under systemd the sockets are systemd's
    /// (socket activation): a connect during a restart is queued, not refused, and waits within
    /// the client's --timeout, so one more try after a cut-off is all it takes. The window is
    /// for hosts without systemd (process backend), and short, so that a daemon that is down
    /// costs a job seconds, not a quarter of a minute.
    /// </summary>
    public static readonly TimeSpan RestartRetry = TimeSpan.FromSeconds(5);

    /// <summary>What the client adds for connecting and reading the reply.</summary>
    public static readonly TimeSpan ClientMargin = TimeSpan.FromSeconds(5);

    /// <summary>The longest prolog: every step to its timeout, the last one fails, and the cleanup stops the tracer.</summary>
    public static TimeSpan LongestProlog(TimeSpan resolve, TimeSpan writeEnv, TimeSpan start, TimeSpan ready, TimeSpan stop) =>
        resolve + writeEnv + start + ready + stop;

    /// <summary>The longest epilog: it finds a failed prolog's cleanup running, waits for it, then stops.</summary>
    public static TimeSpan LongestEpilog(TimeSpan stop) => stop + stop;

    /// <summary>How long the client waits for a request the daemon may take <paramref name="longest"/> over: a restart, the daemon's own margin, the reply.</summary>
    public static TimeSpan ClientWait(TimeSpan longest) => RestartRetry + longest + AnswerMargin + ClientMargin;

    /// <summary>datacrumbsctl prolog's default --timeout, and the prolog hook's default wait (510 s).</summary>
    public static TimeSpan PrologClientWait => ClientWait(LongestProlog(Resolve, WriteEnv, Start, Ready, Stop));

    /// <summary>datacrumbsctl epilog's default --timeout, and the epilog hook's default wait (675 s).</summary>
    public static TimeSpan EpilogClientWait => ClientWait(LongestEpilog(Stop));
}

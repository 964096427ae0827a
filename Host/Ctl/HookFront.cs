using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Ctl;

/// <summary>
/// <c>datacrumbsctl hook prolog|epilog [HOOK-OPTIONS]</c>: the Flux job-manager's prolog and epilog
/// command, with no shell on the path every job takes. It asks the daemon once, as the hook script
/// would, and when the answer is "go on" (not requested, ready, stopped) it prints that line and
/// exits 0: one process start and one round trip. Any other answer, a bad option, or SIGTERM/SIGINT
/// hands over to the hook script (exec, same pid) with the answer in its environment, and the
/// script applies its policy, messages, job exceptions and cleanup, all of which live there only.
/// </summary>
internal static class HookFront
{
    public const string PrologScript = "/sbin/datacrumbs_service_run.sh";
    public const string EpilogScript = "/sbin/datacrumbs_service_stop.sh";

    // What the script reads back (deploy/flux/datacrumbs_hook_args.sh, call_daemon).
    public const string FirstExitVariable = "DATACRUMBS_FIRST_RC";
    public const string FirstLineVariable = "DATACRUMBS_FIRST_LINE";
    public const string FirstSecondsVariable = "DATACRUMBS_FIRST_SECONDS";
    public const string InterruptedVariable = "DATACRUMBS_INTERRUPTED";

    public const string Help = $"""
        hook prolog|epilog [--script=PATH] [HOOK-OPTIONS]
          The Flux job-manager's prolog or epilog itself:
            [job-manager.prolog] command = ["/usr/bin/datacrumbsctl", "hook", "prolog"]
          Asks the daemon once; a job that goes on (not requested, ready, stopped) costs no shell.
          Any other answer, and SIGTERM, runs the hook script in its place, which applies the
          policy: --script=PATH, default {PrologScript} (prolog) or
          {EpilogScript} (epilog). HOOK-OPTIONS are that script's (see its --help).
        """;

    private sealed record Settings(string Hook, string Script, List<string> PassOn, string? Socket, double WaitSeconds, bool HandOverAtOnce);

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["-h" or "--help"])
        {
            Console.WriteLine($"usage: datacrumbsctl {Help}");
            return ExitCodes.Ok;
        }
        if (args is not [("prolog" or "epilog") and var hook, .. var rest])
        {
            Console.Error.WriteLine("datacrumbsctl: hook: say which, prolog or epilog (datacrumbsctl hook prolog [HOOK-OPTIONS])");
            return ExitCodes.Usage;
        }
        var settings = Read(hook, rest);
        if (settings.HandOverAtOnce) return HandOver(settings, []);

        // From here a SIGTERM (job canceled, prolog timed out) goes to the script's own cleanup.
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; Interrupted(settings, "TERM"); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; Interrupted(settings, "INT"); });

        var clock = Stopwatch.StartNew();
        var (exit, line) = await AskOnceAsync(settings);
        if (exit == ExitCodes.Ok)
        {
            if (line.Length > 0) Console.WriteLine(line);
            return ExitCodes.Ok;
        }
        return HandOver(settings, [
            new(FirstExitVariable, exit.ToString(CultureInfo.InvariantCulture)),
            new(FirstLineVariable, line),
            new(FirstSecondsVariable, ((long)clock.Elapsed.TotalSeconds).ToString(CultureInfo.InvariantCulture)),
        ]);
    }

    /// <summary>
    /// The options the script takes. Only those this front needs are read; the others pass on. A value
    /// the script would refuse, an unknown option or --help goes to the script at once, so that its
    /// message (and nothing else) answers, and the fast path never hides a broken setting.
    /// </summary>
    private static Settings Read(string hook, string[] args)
    {
        var prolog = hook == "prolog";
        var script = prolog ? PrologScript : EpilogScript;
        var socket = Environment.GetEnvironmentVariable("DATACRUMBS_SOCKET");
        var wait = Environment.GetEnvironmentVariable(prolog ? "DATACRUMBS_PROLOG_TIMEOUT" : "DATACRUMBS_EPILOG_TIMEOUT");
        var policy = Environment.GetEnvironmentVariable("DATACRUMBS_ON_FAILURE");
        var cancel = prolog ? Environment.GetEnvironmentVariable("DATACRUMBS_CANCEL_TIMEOUT") : null;
        var passOn = new List<string>();
        var unknown = false;
        foreach (var arg in args)
        {
            var equals = arg.IndexOf('=');
            var (name, value) = equals > 0 ? (arg[..equals], arg[(equals + 1)..]) : (arg, "");
            if (name == "--script" && equals > 0) { script = value; continue; }
            passOn.Add(arg);
            switch (equals > 0 ? name : "")
            {
                case "--socket": socket = value; break;
                case "--timeout": wait = value; break;
                case "--on-failure": policy = value; break;
                case "--cancel-timeout" when prolog: cancel = value; break;
                case "--ctl" or "--retry-for" or "--flux": break;
                default: unknown = true; break;
            }
        }
        var waitSeconds = (prolog ? TimeBudget.PrologClientWait : TimeBudget.EpilogClientWait).TotalSeconds;
        var refused = unknown
            || policy is { Length: > 0 } and not ("continue" or "fail")
            || (wait is { Length: > 0 } && !TryWholeSeconds(wait, out waitSeconds))
            || (cancel is { Length: > 0 } && !TryWholeSeconds(cancel, out _));
        return new(hook, script, passOn, socket is { Length: > 0 } ? socket : null, waitSeconds, refused);
    }

    // Digits only, as the script checks them; 0 (the client's own default) is left to the script.
    private static bool TryWholeSeconds(string text, out double seconds)
    {
        var ok = uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0;
        seconds = s;
        return ok;
    }

    /// <summary>
    /// One call, no retry (as the script's first call): the exit code datacrumbsctl would give and
    /// the first line it would print, to stdout or stderr. Blocking and without the JSON serializer
    /// (<see cref="LeanControlClient"/>): the few milliseconds every job pays.
    /// </summary>
    private static async Task<(int Exit, string Line)> AskOnceAsync(Settings settings)
    {
        ControlRequest? request;
        string? error;
        var ok = settings.Hook == "prolog"
            ? FluxHookRequests.TryProlog(null, null, Environment.GetEnvironmentVariable(FluxHookRequests.UriVariable), Environment.GetEnvironmentVariable(FluxHookRequests.OwnerVariable), out request, out error)
            : FluxHookRequests.TryEpilog(null, out request, out error);
        if (!ok) return (ExitCodes.Usage, $"datacrumbsctl: {error}");

        var (stdout, stderr) = (Console.Out, Console.Error);
        using var captured = new StringWriter(CultureInfo.InvariantCulture);
        Console.SetOut(captured);
        Console.SetError(captured);
        int exit;
        try
        {
            var (reply, failed) = await DaemonCall.SendAsync(DaemonCall.Sockets(settings.Socket), request!, TimeSpan.FromSeconds(settings.WaitSeconds), TimeSpan.Zero, CancellationToken.None,
                (socket, r, timeout, _) => Task.FromResult(LeanControlClient.Send(socket, r, timeout)));
            exit = reply is null ? failed : DaemonCall.Report(reply);
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
        var text = captured.ToString();
        var end = text.IndexOf('\n');
        return (exit, end < 0 ? text : text[..end]);
    }

    private static void Interrupted(Settings settings, string signal)
    {
        var why = HandOverOrSay(settings, [new(InterruptedVariable, signal)]);
        Console.WriteLine($"datacrumbs: {Job()}: {settings.Hook} interrupted by SIG{signal}; cannot run {settings.Script}: {why}");
        Environment.Exit(143);
    }

    /// <summary>Execs the script; returns only if it cannot be run, and then the hook fails (exit 1) as a script without its settings does.</summary>
    private static int HandOver(Settings settings, KeyValuePair<string, string>[] answer)
    {
        var why = HandOverOrSay(settings, answer);
        Console.WriteLine($"datacrumbs: {Job()}: {settings.Hook} hook: cannot run {settings.Script}: {why} (install it, or name it with --script=PATH)");
        return ExitCodes.TracingFailedJobMustFail;
    }

    private static string HandOverOrSay(Settings settings, KeyValuePair<string, string>[] environment)
    {
        Console.Out.Flush();
        return ProcessImage.Replace(settings.Script, settings.PassOn, environment);
    }

    // The one form every datacrumbs line uses: f58 with an ASCII f.
    private static string Job() => Environment.GetEnvironmentVariable(FluxHookRequests.JobIdVariable) is { Length: > 0 } id
        ? JobId.TryParse(id, out var job, out _) ? job.ToString() : Datacrumbs.Messages.Text.UntrustedText.Printable(id)
        : "unknown-job";
}

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Datacrumbs.Ctl;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Unix;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Messages.Text;

// datacrumbsctl: the small client of datacrumbsd, called by the Flux and Slurm prolog and epilog hooks
// on every job, and by operators. NativeAOT: it starts in milliseconds.

// The Flux prolog and epilog themselves: before any command is built, as every job on the node pays for it.
if (args is ["hook", ..]) return await HookFront.RunAsync(args[1..]);

var socket = new Option<string?>("--socket")
{
    Description = $"The daemon's control socket (default $DATACRUMBS_SOCKET, else {DaemonCall.HookSocket} when this caller may use it, else {DaemonCall.DefaultSocket}).",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DATACRUMBS_SOCKET") is { Length: > 0 } s ? s : null,
    Recursive = true,
};
var timeout = new Option<double?>("--timeout")
{
    Description = $"Seconds to wait for the daemon's answer (default: longer than any lifecycle can take, {TimeBudget.PrologClientWait.TotalSeconds} for prolog, {TimeBudget.EpilogClientWait.TotalSeconds} for epilog).",
    Recursive = true,
};
var retryFor = new Option<double?>("--retry-for")
{
    Description = "Seconds to keep trying while the daemon restarts (no socket, nothing listening, connection lost, unavailable); "
                  + $"within --timeout. Default $DATACRUMBS_RETRY_FOR, else {TimeBudget.RestartRetry.TotalSeconds} for prolog, epilog and wrapper, 0 for status.",
    // An unusable $DATACRUMBS_RETRY_FOR is refused like the option (see the validator below).
    DefaultValueFactory = _ => double.TryParse(Environment.GetEnvironmentVariable("DATACRUMBS_RETRY_FOR"), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : null,
    Recursive = true,
};
var scheduler = new Option<string>("--scheduler")
{
    Description = "The job's scheduler: flux (default), or slurm (the job, its user and its request from the Slurm prolog's "
                  + $"{SlurmHookRequests.JobIdVariable}, {SlurmHookRequests.UidVariable}, {SlurmHookRequests.EnableVariable} and {SlurmHookRequests.ProbeFileVariable}).",
    DefaultValueFactory = _ => "flux",
};
scheduler.AcceptOnlyFromAmong("flux", "slurm");
// The defaults of --job and --uid depend on --scheduler: read in the actions, not here.
var job = new Option<string?>("--job") { Description = $"The job id (default: $FLUX_JOB_ID, in any Flux form; with --scheduler slurm ${SlurmHookRequests.JobIdVariable}, decimal)." };
var uid = new Option<string?>("--uid") { Description = $"The job's user id (default: $FLUX_JOB_USERID; with --scheduler slurm ${SlurmHookRequests.UidVariable})." };
var enable = new Option<string?>("--enable") { Description = $"Slurm: whether the job asked for tracing; any non-empty value asks (default: ${SlurmHookRequests.EnableVariable}, set by the SPANK plugin)." };
var probeFile = new Option<string?>("--probe-file") { Description = $"Slurm: the job's probe file, an absolute path (default: ${SlurmHookRequests.ProbeFileVariable}, set by the SPANK plugin)." };
var fluxOwner = new Option<string?>("--flux-owner") { Description = "The Flux instance owner's uid, as whom the daemon reads the jobspec (default: $FLUX_OWNER_USERID).", DefaultValueFactory = _ => Environment.GetEnvironmentVariable(FluxHookRequests.OwnerVariable) };
var fluxUri = new Option<string?>("--flux-uri") { Description = "The broker to read the jobspec from (default: $FLUX_URI).", DefaultValueFactory = _ => Environment.GetEnvironmentVariable(FluxHookRequests.UriVariable) };

var root = new RootCommand($"""
    datacrumbsctl: talk to datacrumbsd, the DataCrumbs node daemon.

    {ExitCodes.Help}
    """);
// Listed for --help; `hook ...` is run by HookFront above, with the hook scripts' own options.
root.Subcommands.Add(new Command("hook", "The Flux job-manager's prolog or epilog command itself, prolog|epilog: no shell for a job that goes on (see 'datacrumbsctl hook --help')."));
root.Options.Add(socket);
// Seconds from the command line or the environment: a bounded, finite number, or a usage error
// (a huge value would overflow the deadline).
const double MaxSeconds = 24 * 3600;
static bool IsSeconds(double s) => double.IsFinite(s) && s is >= 0 and <= MaxSeconds;
foreach (var seconds in new[] { timeout, retryFor })
    seconds.Validators.Add(result =>
    {
        if (result.GetValueOrDefault<double?>() is { } s && !IsSeconds(s))
            result.AddError($"{result.Option.Name} must be a number of seconds from 0 to {MaxSeconds}, not {s}");
    });
root.Options.Add(timeout);
root.Options.Add(retryFor);

// The defaults derive from the one time budget, which the hooks' own defaults are checked against.
var prologWait = TimeBudget.PrologClientWait.TotalSeconds;
var epilogWait = TimeBudget.EpilogClientWait.TotalSeconds;
TimeSpan Deadline(ParseResult parse, double defaultSeconds) => TimeSpan.FromSeconds(parse.GetValue(timeout) is > 0 and var s ? s : defaultSeconds);
TimeSpan RetryWindow(ParseResult parse, double defaultSeconds) => TimeSpan.FromSeconds(parse.GetValue(retryFor) is >= 0 and var s ? s : defaultSeconds);

async Task<int> Call(ParseResult parse, ControlRequest request, double defaultSeconds, CancellationToken ct)
{
    var (reply, exit) = await DaemonCall.SendAsync(DaemonCall.Sockets(parse.GetValue(socket)), request, Deadline(parse, defaultSeconds), RetryWindow(parse, TimeBudget.RestartRetry.TotalSeconds), ct);
    return reply is null ? exit : DaemonCall.Report(reply);
}

int Usage(string message)
{
    Console.Error.WriteLine($"datacrumbsctl: {message}");
    return ExitCodes.Usage;
}

// prolog ---------------------------------------------------------------------------------------
bool IsSlurm(ParseResult parse) => parse.GetValue(scheduler) == "slurm";

// A Slurm job that did not ask for tracing (no SPANK_DATACRUMBS_ENABLE) is answered here, silently
// as the daemon answers "not requested": its prolog and epilog cost no call to the daemon.
Task<int> SlurmPrologAsync(ParseResult parse, CancellationToken ct)
{
    if (!SlurmHookRequests.TryReadJob(parse.GetValue(job), out var id, out var error)) return Task.FromResult(Usage(error));
    if (!SlurmHookRequests.TryReadUid(parse.GetValue(uid), out var user, out error)) return Task.FromResult(Usage(error));
    var asked = SlurmHookRequests.ReadOptions(parse.GetValue(enable), parse.GetValue(probeFile));
    return asked.AsksForTracing ? Call(parse, SlurmHookRequests.Prolog(id, user, asked), prologWait, ct) : Task.FromResult(ExitCodes.Ok);
}

Task<int> SlurmEpilogAsync(ParseResult parse, CancellationToken ct)
{
    if (!SlurmHookRequests.TryReadJob(parse.GetValue(job), out var id, out var error)) return Task.FromResult(Usage(error));
    var asked = SlurmHookRequests.ReadOptions(parse.GetValue(enable), null);
    return asked.AsksForTracing ? Call(parse, SlurmHookRequests.Epilog(id), epilogWait, ct) : Task.FromResult(ExitCodes.Ok);
}

var prolog = new Command("prolog", "Start tracing for a job on this node (run by the Flux prolog, as root or the instance owner; by the Slurm prolog with --scheduler slurm).");
prolog.Options.Add(job);
prolog.Options.Add(uid);
prolog.Options.Add(fluxUri);
prolog.Options.Add(fluxOwner);
prolog.Options.Add(scheduler);
prolog.Options.Add(enable);
prolog.Options.Add(probeFile);
prolog.SetAction((parse, ct) =>
{
    if (IsSlurm(parse)) return SlurmPrologAsync(parse, ct);
    if (parse.GetValue(enable) is not null || parse.GetValue(probeFile) is not null)
        return Task.FromResult(Usage("--enable and --probe-file are for --scheduler slurm (a Flux job's request is in its jobspec)"));
    return FluxHookRequests.TryProlog(parse.GetValue(job), parse.GetValue(uid), parse.GetValue(fluxUri), parse.GetValue(fluxOwner), out var request, out var error)
        ? Call(parse, request, prologWait, ct)
        : Task.FromResult(Usage(error));
});
root.Subcommands.Add(prolog);

// epilog ---------------------------------------------------------------------------------------
var epilog = new Command("epilog", "Stop tracing for a job and remove everything it left (run by the Flux epilog; by the Slurm epilog with --scheduler slurm).");
epilog.Options.Add(job);
epilog.Options.Add(scheduler);
epilog.Options.Add(enable);
epilog.SetAction((parse, ct) =>
{
    if (IsSlurm(parse)) return SlurmEpilogAsync(parse, ct);
    if (parse.GetValue(enable) is not null) return Task.FromResult(Usage("--enable is for --scheduler slurm (a Flux job's request is in its jobspec)"));
    return FluxHookRequests.TryEpilog(parse.GetValue(job), out var request, out var error)
        ? Call(parse, request, epilogWait, ct)
        : Task.FromResult(Usage(error));
});
root.Subcommands.Add(epilog);

// status ---------------------------------------------------------------------------------------
var json = new Option<bool>("--json") { Description = "Print the jobs as a JSON array, for scripts." };
var status = new Command("status", "List the jobs the daemon tracks on this node (yours only, unless you are root or the instance owner).");
status.Options.Add(json);
status.SetAction(async (parse, ct) =>
{
    var (reply, exit) = await DaemonCall.SendAsync(DaemonCall.Sockets(parse.GetValue(socket)), new ControlRequest { Op = Operation.Status }, Deadline(parse, 15), RetryWindow(parse, 0), ct);
    if (reply is null) return exit;
    if (reply.Status != ReplyStatus.Ok) return DaemonCall.Report(reply);
    var jobs = reply.Jobs ?? [];
    if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(jobs, WireJson.Default.IReadOnlyListJobStatus));
    else StatusTable.Print(jobs, DateTimeOffset.UtcNow);
    return ExitCodes.Ok;
});
root.Subcommands.Add(status);
root.Subcommands.Add(ClusterStatus.Create(socket, timeout));

// wrapper --------------------------------------------------------------------------------------
var wrapperAction = new Argument<string>("action") { Description = "start or stop." };
wrapperAction.AcceptOnlyFromAmong("start", "stop");
var wrapperArgs = new Argument<string[]>("JOBID [USER] PROBE_FILE") { Arity = new ArgumentArity(2, 3) };
var wrapper = new Command("wrapper", """
    Test tracing without a real Flux prolog: fabricates the job metadata a jobspec would carry
    ({"enable":"yes","probe_file":...}) and goes through exactly the daemon's prolog and epilog path.
    USER (name or uid) defaults to the user who ran sudo, else the caller.
    """);
wrapper.Arguments.Add(wrapperAction);
wrapper.Arguments.Add(wrapperArgs);
wrapper.SetAction((parse, ct) =>
{
    var words = parse.GetValue(wrapperArgs)!;
    if (!JobId.TryParse(words[0], out var id, out var error)) return Task.FromResult(Usage(error));
    uint user;
    if (words.Length == 3)
    {
        if (UnixAccounts.LookupUid(words[1]) is not { } resolved) return Task.FromResult(Usage($"no such user: {UntrustedText.Printable(words[1])}"));
        user = resolved;
    }
    else user = Users.Invoking();
    var probeFile = Path.GetFullPath(words[^1]);
    return parse.GetValue(wrapperAction) == "start"
        ? Call(parse, WrapperRequests.Start(id, user, probeFile), prologWait, ct)
        : Call(parse, WrapperRequests.Stop(id), epilogWait, ct);
});
root.Subcommands.Add(wrapper);
// asks-tracing ---------------------------------------------------------------------------------
var asks = new Command("asks-tracing", """
    Read a jobspec (as `flux job info ID jobspec` prints it) on standard input and tell whether it
    asks for tracing. The hooks use it only when the daemon cannot be asked, so that a stopped daemon
    costs nothing to jobs that did not ask. Exit 0: it asks; 1: it does not; 2: not a jobspec.
    """);
asks.SetAction(async (parse, ct) =>
{
    // A jobspec carries the job's environment; past this bound it is not read (then nobody can tell).
    const int MaxJobspecBytes = 64 << 20;
    using var input = new MemoryStream();
    var buffer = new byte[81920];
    using var stdin = Console.OpenStandardInput();
    for (int n; (n = await stdin.ReadAsync(buffer, ct)) > 0;)
    {
        if (input.Length + n > MaxJobspecBytes) return Usage($"the jobspec on standard input is larger than {MaxJobspecBytes >> 20} MiB");
        input.Write(buffer, 0, n);
    }
    return JobspecAsk.AsksForTracing(input.GetBuffer().AsMemory(0, (int)input.Length)) switch
    {
        true => 0,
        false => 1,
        null => Usage("standard input is not a jobspec (a JSON object)"),
    };
});
root.Subcommands.Add(asks);
root.Subcommands.Add(JobIdCommand.Create());
root.Subcommands.Add(ProbesCommand.Create());

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var e in parsed.Errors) Console.Error.WriteLine($"datacrumbsctl: {e.Message}");
    Console.Error.WriteLine("datacrumbsctl: see 'datacrumbsctl --help'");
    return ExitCodes.Usage;
}
return await parsed.InvokeAsync();

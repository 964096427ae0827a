using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Traces;
using Datacrumbs.Daemon.Users;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Microsoft.Extensions.Logging;

namespace Datacrumbs.Daemon.Flux;

/// <summary>
/// Tells a job's user, through Flux, as the instance owner against the prolog's FLUX_URI (as
/// <see cref="FluxJobspecSource"/> reads the jobspec: a multi-user instance admits its owner, not
/// root). Each node's daemon speaks only for its own tracer:
/// <list type="bullet">
/// <item>a tracer's death after ready: a non-fatal job exception
/// (<c>flux job raise --severity=1 --type=datacrumbs</c>) naming this node;</item>
/// <item>the tracing state: the job memo <c>datacrumbs</c>, a JSON object with one member per
/// node (<c>flux job memo ID datacrumbs={"node":"traced: ..."}</c>). Flux merges memo objects
/// member by member, so the nodes of a job never overwrite each other and
/// <c>flux jobs -o '{annotations.user.datacrumbs}'</c> shows every node's line.</item>
/// </list>
/// Each call is bounded by <see cref="Timeout"/>; a failure is logged. One job's memos are sent
/// in the order given, so a late "traced" never replaces the epilog's "trace at".
/// </summary>
public sealed class FluxJobNotices(UserDirectory users, string fluxCommand, FailurePolicy onFailure, string traceDirPattern,
    ILogger<FluxJobNotices> log, string? host = null) : IJobNotices
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    public const string MemoKey = "datacrumbs";
    /// <summary>A memo line stays short enough to read in `flux jobs`; a longer cause is cut.</summary>
    public const int MaxLine = 400;

    private readonly string _host = host ?? TraceFileLocation.Host;
    private readonly Dictionary<JobId, Task> _lastMemo = [];

    public async Task TellUserAsync(JobRequest request, string message)
    {
        var job = request.Job;
        if (request.Inline is not null)
        {
            // The service wrapper's job: no Flux job to raise an exception on.
            log.LogInformation("{JobId}: not raised as a job exception (no Flux prolog behind this job): {Note}", job, message);
            return;
        }
        var note = $"datacrumbs: {job}: on node {_host}: {message}";
        try
        {
            var (exit, errors) = await RunFluxAsync(request, ["job", "raise", "--severity=1", "--type=datacrumbs", $"--message={note}", job.Format(JobIdFormat.Decimal)]).ConfigureAwait(false);
            if (exit == 0) log.LogInformation("{JobId}: told the user with a job exception: {Note}", job, note);
            else log.LogWarning("{JobId}: could not raise the job exception (flux job raise exit {Exit}: {Errors}); the user was not told: {Note}",
                job, exit, errors, note);
        }
        catch (Exception e)
        {
            log.LogWarning("{JobId}: could not raise the job exception ({Cause}); the user was not told: {Note}", job, e.Message, note);
        }
    }

    public Task ShowAsync(JobRequest request, TracingShown shown)
    {
        if (request.Inline is not null) return Task.CompletedTask; // the service wrapper's job: no Flux job
        var job = request.Job;
        // After the one before it for this job; off the caller's thread (the actor's), since starting a process blocks.
        Task mine;
        lock (_lastMemo)
        {
            var before = _lastMemo.GetValueOrDefault(job) ?? Task.CompletedTask;
            mine = before.ContinueWith(_ => MemoAsync(request, shown), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            _lastMemo[job] = mine;
        }
        _ = mine.ContinueWith(done =>
        {
            lock (_lastMemo) if (_lastMemo.GetValueOrDefault(job) == done) _lastMemo.Remove(job);
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return mine;
    }

    /// <summary>This node's line: what the user reads after the node's name.</summary>
    public string Line(TracingShown shown) => shown.State switch
    {
        ShownState.Traced => shown.Trace is { } t ? $"traced: the trace will be {TracePath(t)}" : "traced",
        ShownState.Failed when onFailure is FailurePolicy.Fail => $"failed: {shown.Cause}; the site's policy (OnFailure: Fail) cancels the job",
        ShownState.Failed => $"untraced: {shown.Cause}; the job runs untraced",
        ShownState.EndedAfterReady => $"untraced: {shown.Cause}",
        ShownState.Stopped when shown.Trace is { } t => File.Exists(TracePath(t)) ? $"traced: trace at {TracePath(t)}" : $"traced, but no trace file at {TracePath(t)}",
        _ => "traced",
    };

    public string TracePath(TraceOrigin trace) => TraceFileLocation.PathOf(traceDirPattern, _host, trace);

    /// <summary>The memo's value: JSON, whatever the host or the cause holds (quotes, newlines, non-ASCII).</summary>
    public static string MemoValue(string host, string line) =>
        JsonSerializer.Serialize(new Dictionary<string, string> { [host] = line }, MemoJson.Default.DictionaryStringString);

    private async Task MemoAsync(JobRequest request, TracingShown shown)
    {
        var job = request.Job;
        string line = "";
        try
        {
            // The trace's existence is asked of a file system that may hang: inside the bound too.
            line = await Task.Run(() => Line(shown)).WaitAsync(Timeout).ConfigureAwait(false);
            if (line.Length > MaxLine) line = line[..(MaxLine - 1)] + "…";
            var (exit, errors) = await RunFluxAsync(request, ["job", "memo", job.Format(JobIdFormat.Decimal), $"{MemoKey}={MemoValue(_host, line)}"]).ConfigureAwait(false);
            if (exit == 0) log.LogInformation("{JobId}: job memo {Key} for this node: {Line}", job, MemoKey, line);
            else log.LogWarning("{JobId}: could not set the job memo (flux job memo exit {Exit}: {Errors}); the user does not see: {Line}", job, exit, errors, line);
        }
        catch (Exception e)
        {
            log.LogWarning("{JobId}: could not set the job memo ({Cause}); the user does not see: {Line}", job, e.Message, line);
        }
    }

    private async Task<(int Exit, string Errors)> RunFluxAsync(JobRequest request, string[] args)
    {
        var psi = new ProcessStartInfo(fluxCommand)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (request.Origin?.OwnerUid is { } owner && owner != 0 && Environment.IsPrivilegedProcess)
        {
            psi.UserName = users.NameOf(owner);
            psi.WorkingDirectory = "/";
        }
        if (request.Origin?.Address is { } uri) psi.Environment["FLUX_URI"] = uri;
        else psi.Environment.Remove("FLUX_URI"); // the system instance, never the daemon's own

        using var process = new Process { StartInfo = psi };
        try { process.Start(); }
        catch (Win32Exception e) { throw new InvalidOperationException($"cannot run '{fluxCommand}': {e.Message}", e); }
        process.StandardInput.Close();
        using var stdout = process.StandardOutput;
        using var stderr = process.StandardError;
        using var deadline = new CancellationTokenSource(Timeout);
        try
        {
            var drained = stdout.ReadToEndAsync(deadline.Token);
            var errors = await stderr.ReadToEndAsync(deadline.Token).ConfigureAwait(false);
            await drained.ConfigureAwait(false);
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            return (process.ExitCode, errors.Split('\n', 2)[0]);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { } // it ended meanwhile
            throw new TimeoutException($"flux {args[0]} {args[1]} did not finish within {Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; killed");
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class MemoJson : System.Text.Json.Serialization.JsonSerializerContext;

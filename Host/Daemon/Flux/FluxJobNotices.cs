using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Users;
using Datacrumbs.Messages.Jobs;
using Microsoft.Extensions.Logging;

namespace Datacrumbs.Daemon.Flux;

/// <summary>
/// Tells a job's user through a non-fatal Flux job exception:
/// <c>flux job raise --severity=1 --type=datacrumbs --message=NOTE ID</c>, against the prolog's
/// FLUX_URI and as the instance owner (as <see cref="FluxJobspecSource"/> reads the jobspec: a
/// multi-user instance admits its owner, not root). The note names this node, since each node's
/// daemon speaks only for its own tracer. Bounded by <see cref="Timeout"/>; a failure is logged.
/// </summary>
public sealed class FluxJobNotices(UserDirectory users, string fluxCommand, ILogger<FluxJobNotices> log) : IJobNotices
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly string Node = Environment.MachineName;

    public async Task TellUserAsync(JobRequest request, string message)
    {
        var job = request.Job;
        if (request.Inline is not null)
        {
            // The service wrapper's job: no Flux job to raise an exception on.
            log.LogInformation("{JobId}: not raised as a job exception (no Flux prolog behind this job): {Note}", job, message);
            return;
        }
        var note = $"datacrumbs: {job}: on node {Node}: {message}";
        try
        {
            var (exit, errors) = await RaiseAsync(request, note).ConfigureAwait(false);
            if (exit == 0) log.LogInformation("{JobId}: told the user with a job exception: {Note}", job, note);
            else log.LogWarning("{JobId}: could not raise the job exception (flux job raise exit {Exit}: {Errors}); the user was not told: {Note}",
                job, exit, errors, note);
        }
        catch (Exception e)
        {
            log.LogWarning("{JobId}: could not raise the job exception ({Cause}); the user was not told: {Note}", job, e.Message, note);
        }
    }

    private async Task<(int Exit, string Errors)> RaiseAsync(JobRequest request, string note)
    {
        var psi = new ProcessStartInfo(fluxCommand)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "job", "raise", "--severity=1", "--type=datacrumbs", $"--message={note}", request.Job.Format(JobIdFormat.Decimal) })
            psi.ArgumentList.Add(a);
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
            throw new TimeoutException($"flux job raise did not finish within {Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; killed");
        }
    }
}

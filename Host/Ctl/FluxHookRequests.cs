using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Datacrumbs.Messages.Text;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Ctl;

/// <summary>
/// The prolog and epilog of a Flux job, from what the job-manager (or flux-imp) gives the hook:
/// FLUX_JOB_ID, FLUX_JOB_USERID, FLUX_URI and FLUX_OWNER_USERID, or the options that override them.
/// The job's request itself is in its jobspec, which the daemon reads.
/// </summary>
public static class FluxHookRequests
{
    public const string JobIdVariable = "FLUX_JOB_ID";
    public const string UidVariable = "FLUX_JOB_USERID";
    public const string UriVariable = "FLUX_URI";
    public const string OwnerVariable = "FLUX_OWNER_USERID";

    /// <summary>A prolog request, or the usage error that names what is missing or wrong.</summary>
    public static bool TryProlog(string? jobText, string? uidText, string? fluxUri, string? ownerText,
        [NotNullWhen(true)] out ControlRequest? request, [NotNullWhen(false)] out string? error)
    {
        request = null;
        if (!TryReadJob(jobText, out var job, out error)) return false;
        if ((uidText ?? Environment.GetEnvironmentVariable(UidVariable)) is not { Length: > 0 } uidValue
            || !uint.TryParse(uidValue, NumberStyles.None, CultureInfo.InvariantCulture, out var user))
        {
            error = $"no valid job user: pass --uid or set {UidVariable} to a numeric uid";
            return false;
        }
        uint? owner = null;
        if (ownerText is { Length: > 0 })
        {
            if (!uint.TryParse(ownerText, NumberStyles.None, CultureInfo.InvariantCulture, out var o))
            {
                error = $"the instance owner must be a numeric uid (--flux-owner or {OwnerVariable}), not '{UntrustedText.Printable(ownerText)}'";
                return false;
            }
            owner = o;
        }
        request = new ControlRequest { Op = Operation.Prolog, Job = job, Uid = user, FluxUri = fluxUri, FluxOwnerUid = owner };
        return true;
    }

    /// <summary>An epilog request, or the usage error.</summary>
    public static bool TryEpilog(string? jobText, [NotNullWhen(true)] out ControlRequest? request, [NotNullWhen(false)] out string? error)
    {
        request = TryReadJob(jobText, out var job, out error) ? new ControlRequest { Op = Operation.Epilog, Job = job } : null;
        return request is not null;
    }

    // The daemon parses the id (any Flux form); here it only has to be there.
    private static bool TryReadJob(string? jobText, [NotNullWhen(true)] out string? job, [NotNullWhen(false)] out string? error)
    {
        job = jobText ?? Environment.GetEnvironmentVariable(JobIdVariable);
        error = job is { Length: > 0 } ? null : $"no job: pass --job or set {JobIdVariable}";
        return error is null;
    }
}

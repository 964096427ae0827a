namespace Datacrumbs.Messages.Probes;

/// <summary>
/// A probes file was refused. <see cref="Exception.Message"/> is written for the admin reading
/// the journal at 3 a.m. ("signature does not match (key site-2025)"); it never holds key material.
/// </summary>
public sealed class ProbesRejectedException(ProbeRejection reason, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public ProbeRejection Reason { get; } = reason;
}

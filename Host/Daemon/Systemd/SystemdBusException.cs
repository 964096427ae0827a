namespace Datacrumbs.Daemon.Systemd;

/// <summary>
/// systemd or the D-Bus system bus could not do what was asked: the message names the unit,
/// what was being done and why, in words an operator can act on.
/// </summary>
public sealed class SystemdBusException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>
    /// The bus connection was lost or could not be made (not a refusal by systemd): asking again
    /// once the bus is back may succeed. Inherited from a wrapped exception.
    /// </summary>
    public bool BusUnavailable { get; init; } = inner is SystemdBusException { BusUnavailable: true };
}

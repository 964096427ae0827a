namespace Datacrumbs.Daemon.Systemd;

/// <summary>
/// systemd or the D-Bus system bus could not do what was asked: the message names the unit,
/// what was being done and why, in words an operator can act on.
/// </summary>
public sealed class SystemdBusException(string message, Exception? inner = null) : Exception(message, inner);

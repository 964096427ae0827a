namespace Datacrumbs.Daemon.Systemd;

/// <summary>Settings of the systemd unit backend; the defaults suit production nodes.</summary>
public sealed record SystemdBackendOptions
{
    /// <summary>The system bus; null means DBUS_SYSTEM_BUS_ADDRESS or the standard socket.</summary>
    public string? BusAddress { get; init; }

    /// <summary>The longest pause between reconnect attempts after the bus connection is lost.</summary>
    public TimeSpan MaxReconnectBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long running units may go unobserved while the bus is down before their
    /// <c>Exited</c> tasks fail (the units themselves keep running under systemd).
    /// </summary>
    public TimeSpan ExitWatchGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a stop whose bus connection was lost (or never came) waits for the bus to come
    /// back before it fails; a dbus restart takes about a second. Also delays the answer to a
    /// prolog that failed because the bus was down (its cleanup stops the unit).
    /// </summary>
    public TimeSpan StopWaitsForBus { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bound on the small follow-up calls made after a unit ends (read its result, reset-failed).</summary>
    public TimeSpan FollowUpTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

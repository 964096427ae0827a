namespace Datacrumbs.Daemon.Configuration;

public enum BackendKind
{
    /// <summary>systemd where /run/systemd/system exists (systemd is PID 1), process elsewhere.</summary>
    Auto,
    Systemd,
    Process,
}

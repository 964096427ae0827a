namespace Datacrumbs.Daemon.Configuration;

/// <summary>Chooses the unit backend: systemd where systemd is PID 1, the embedded process backend elsewhere.</summary>
public static class BackendSelection
{
    /// <summary>systemd creates this directory at boot when it is the init system (sd_booted(3)).</summary>
    public const string SystemdMarker = "/run/systemd/system";

    public static BackendKind Resolve(BackendKind configured) =>
        configured != BackendKind.Auto ? configured
        : Directory.Exists(SystemdMarker) ? BackendKind.Systemd
        : BackendKind.Process;
}

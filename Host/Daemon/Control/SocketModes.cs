namespace Datacrumbs.Daemon.Control;

/// <summary>
/// The control sockets' file modes: the kernel checks them at connect(), before the daemon reads
/// SO_PEERCRED, so they decide who may even queue on a socket's backlog.
/// </summary>
public static class SocketModes
{
    /// <summary>The hooks' socket without HookSocketGroup: root only (0600).</summary>
    public const UnixFileMode RootOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The hooks' socket with HookSocketGroup: root and the instance owner's group (0660).</summary>
    public const UnixFileMode RootAndGroup = RootOnly | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>The public socket: everyone may connect, since status is for everyone (0666).</summary>
    public const UnixFileMode Everyone = RootAndGroup | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
}

using Datacrumbs.Daemon.Native;

namespace Datacrumbs.Daemon.Files;

/// <summary>
/// The run dir holds what a root service reads (env files, probe copies): it must belong to the
/// daemon's user and be writable by nobody else. Checked at start; the daemon refuses to run otherwise.
/// </summary>
public static class RunDirectory
{
    private const UnixFileMode Mode = (UnixFileMode)0b111_101_101; // 0755

    public static void Prepare(string path)
    {
        if (!Directory.Exists(path)) Directory.CreateDirectory(path, Mode);
        var status = FileStatus.Of(path);
        var me = Messages.Unix.UnixAccounts.EffectiveUid();
        if (status.IsSymlink || !status.IsDirectory)
            throw new InvalidOperationException($"run dir {path} is not a directory (a symlink or a file is there); remove it or choose another RunDir");
        if (status.Uid != me)
            throw new InvalidOperationException($"run dir {path} is owned by uid {status.Uid}, not by the daemon's uid {me}; fix with: chown {me} {path}");
        if ((status.Mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            throw new InvalidOperationException($"run dir {path} is writable by group or others (mode {Convert.ToString((int)status.Mode, 8)}); fix with: chmod 755 {path}");
    }
}

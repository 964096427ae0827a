namespace Datacrumbs.Specs.Systemd;

/// <summary>Awaits a file's appearance or disappearance through inotify, with a deadline.</summary>
public static class FileEvents
{
    public static async Task WaitAsync(string path, bool exists, TimeSpan timeout)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path));
        FileSystemEventHandler check = (_, _) => { if (File.Exists(path) == exists) done.TrySetResult(); };
        watcher.Created += check;
        watcher.Deleted += check;
        watcher.Renamed += (_, _) => check(null!, null!); // atomic writes (temp file, rename) arrive as renames
        watcher.EnableRaisingEvents = true;
        check(null!, null!); // it may have happened before the watch began
        try { await done.Task.WaitAsync(timeout); }
        catch (TimeoutException) { throw new TimeoutException($"{path} did not {(exists ? "appear" : "disappear")} within {timeout.TotalSeconds} s"); }
    }
}

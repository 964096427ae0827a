using System.Collections.Concurrent;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Daemon.Files;

/// <summary>
/// One inotify watch (FileSystemWatcher) on the run dir serves every job's wait for its ready
/// file: a wait registers first, then checks whether the file is already there, so no creation
/// is missed; an inotify queue overflow re-checks every pending wait.
/// </summary>
public sealed class ReadyFileWatcher : IReadyFiles, IDisposable
{
    private readonly string _runDir;
    private readonly FileSystemWatcher _watcher;
    private readonly ConcurrentDictionary<JobId, TaskCompletionSource> _pending = new();

    public ReadyFileWatcher(string runDir)
    {
        _runDir = runDir;
        _watcher = new FileSystemWatcher(runDir, JobNames.FilePrefix + "*" + JobNames.ReadySuffix)
        {
            NotifyFilter = NotifyFilters.FileName,
            IncludeSubdirectories = false,
        };
        _watcher.Created += (_, e) => Seen(e.Name);
        _watcher.Renamed += (_, e) => Seen(e.Name);
        _watcher.Error += (_, _) => RecheckAll();
        _watcher.EnableRaisingEvents = true;
    }

    public string PathOf(JobId job) => Path.Combine(_runDir, JobNames.ReadyFile(job));

    public async Task WaitAsync(JobId job, CancellationToken ct)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[job] = ready;
        try
        {
            if (File.Exists(PathOf(job))) return;
            await ready.Task.WaitAsync(ct);
        }
        finally
        {
            _pending.TryRemove(new KeyValuePair<JobId, TaskCompletionSource>(job, ready));
        }
    }

    public Task RemoveAsync(JobId job, CancellationToken ct)
    {
        File.Delete(PathOf(job));
        return Task.CompletedTask;
    }

    private void Seen(string? fileName)
    {
        if (fileName is not null
            && JobNames.TryParseFile(fileName, JobNames.ReadySuffix, out var job)
            && _pending.TryGetValue(job, out var ready))
            ready.TrySetResult();
    }

    private void RecheckAll()
    {
        foreach (var (job, ready) in _pending)
            if (File.Exists(PathOf(job))) ready.TrySetResult();
    }

    public void Dispose() => _watcher.Dispose();
}

using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Daemon.Files;

/// <summary>
/// Env files in the run dir, written atomically (temp file, fsync, rename) so a unit never
/// reads half a file, and readable by all (they hold nothing secret) but writable by the daemon only.
/// </summary>
public sealed class EnvFileStore(string runDir) : IEnvFiles
{
    public string PathOf(JobId job) => Path.Combine(runDir, JobNames.EnvFile(job));

    public async Task WriteAsync(JobId job, TracerEnvironment environment, CancellationToken ct)
    {
        var text = EnvFileFormat.Render(environment); // throws on unsafe values before anything touches the disk
        await AtomicFile.WriteAsync(PathOf(job), System.Text.Encoding.UTF8.GetBytes(text),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, ct);
    }

    public Task RemoveAsync(JobId job, CancellationToken ct)
    {
        File.Delete(PathOf(job)); // no error when absent
        return Task.CompletedTask;
    }

    public TracerEnvironment Read(JobId job) => EnvFileFormat.Parse(File.ReadAllText(PathOf(job)));
}

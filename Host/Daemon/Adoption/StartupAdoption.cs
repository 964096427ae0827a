using Datacrumbs.Actors.Lifecycle;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Actors.Supervision;
using Datacrumbs.Daemon.Files;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Daemon.Adoption;

/// <summary>
/// What a restarted daemon finds, after flux-core's sdmon: units still running are adopted so a
/// later epilog stops them; files of jobs with no running unit are leftovers, cleaned up now.
/// </summary>
public static class StartupAdoption
{
    public static async Task<AdoptJobs> SurveyAsync(string runDir, IUnitBackend units, EnvFileStore envFiles, CancellationToken ct)
    {
        // A daemon killed in the middle of a write leaves its temp file (never the target: see AtomicFile); none is being written now.
        foreach (var temp in Directory.EnumerateFiles(runDir, "." + JobNames.FilePrefix + "*.tmp")) File.Delete(temp);
        var running = (await units.ListAsync(ct)).ToHashSet();
        var withFiles = Directory.EnumerateFiles(runDir, JobNames.FilePrefix + "*")
            .Select(Path.GetFileName)
            .Select(name => JobNames.TryParseAnyFile(name!, out var id) ? id : (JobId?)null)
            .OfType<JobId>()
            .ToHashSet();

        var adopted = running.Select(job => Describe(job, envFiles) with { WasReady = File.Exists(Path.Combine(runDir, JobNames.ReadyFile(job))) }).ToList();
        var leftovers = withFiles.Except(running).ToList();
        return new AdoptJobs(adopted, leftovers);
    }

    private static AdoptedJob Describe(JobId job, EnvFileStore envFiles)
    {
        try
        {
            var env = envFiles.Read(job);
            // An unreadable uid is unknown, as with no env file: uid 0, so only root sees the job in status.
            var uid = uint.TryParse(env[TracerEnvironment.UidKey], out var parsed) ? parsed : 0;
            return new AdoptedJob(job, uid, env[TracerEnvironment.UserKey] ?? "");
        }
        catch (Exception e) when (e is IOException or FormatException or ArgumentException)
        {
            return new AdoptedJob(job, 0, "(unknown: env file missing)");
        }
    }
}

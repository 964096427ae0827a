namespace Datacrumbs.Benchmarks.Common;

/// <summary>Where things are: the built binaries beside this one, and the repository.</summary>
public static class Paths
{
    public static string BinDir => AppContext.BaseDirectory;
    public static string Daemon => Path.Combine(BinDir, "datacrumbsd");
    public static string StandInTracer => Path.Combine(BinDir, "datacrumbs-standin-tracer");
    public static string Reference(string script) => Path.Combine(BinDir, "reference", script);

    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "datacrumbs.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException($"no datacrumbs.sln above {AppContext.BaseDirectory}");
        }
    }

    public static string PrologHook => Path.Combine(RepoRoot, "deploy", "flux", "datacrumbs_service_run.sh");

    /// <summary>The prolog as job-manager.toml ships it: the client itself, handing over to the script when needed.</summary>
    public static string[] PrologHookArgs => ["hook", "prolog", $"--script={PrologHook}"];
}

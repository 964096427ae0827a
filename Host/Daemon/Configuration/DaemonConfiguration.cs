using Microsoft.Extensions.Configuration;

namespace Datacrumbs.Daemon.Configuration;

/// <summary>Reads <see cref="DaemonOptions"/> from the JSON file, the environment and the flags, in that order of precedence (flags win).</summary>
public static class DaemonConfiguration
{
    public const string DefaultFile = "/etc/datacrumbs/datacrumbsd.json";
    public const string EnvironmentPrefix = "DATACRUMBSD_";

    /// <param name="file">An explicitly named file must exist; the default file is optional.</param>
    /// <param name="flags">Overrides from the command line, as configuration keys ("RunDir", "Timeouts:Ready").</param>
    public static DaemonOptions Load(string? file, IReadOnlyDictionary<string, string?> flags)
    {
        if (file is not null && !File.Exists(file)) throw new InvalidOperationException($"configuration file {file} does not exist");
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.GetFullPath(file ?? DefaultFile), optional: file is null, reloadOnChange: false)
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddInMemoryCollection(flags)
            .Build();
        var options = new DaemonOptions();
        configuration.Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        options.Validate();
        return options;
    }
}

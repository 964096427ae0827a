using Akka.Hosting;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Actors.Supervision;
using Datacrumbs.Daemon.Configuration;
using Datacrumbs.Daemon.Files;
using Datacrumbs.Daemon.Flux;
using Datacrumbs.Daemon.Probes;
using Datacrumbs.Daemon.Process;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;

namespace Datacrumbs.Daemon.Hosting;

/// <summary>
/// Composes the daemon: Microsoft.Extensions.Hosting (systemd notify and watchdog when run as a
/// unit), Serilog, the adapters behind the actors' ports, and the actor system (Akka.Hosting).
/// </summary>
public static class DaemonHost
{
    public static IHost Build(DaemonOptions options, LogEventLevel logLevel = LogEventLevel.Information)
    {
        RunDirectory.Prepare(options.RunDir);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "datacrumbsd" });
        builder.Services.AddSystemd();
        builder.Services.AddSerilog(log => log
            .MinimumLevel.Is(logLevel)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}",
                standardErrorFromLevel: LogEventLevel.Verbose));

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new EnvFileStore(options.RunDir));
        builder.Services.AddSingleton<IEnvFiles>(sp => sp.GetRequiredService<EnvFileStore>());
        builder.Services.AddSingleton<IReadyFiles>(new ReadyFileWatcher(options.RunDir));
        builder.Services.AddSingleton<IJobMetadataSource>(new InlineMetadataSource());
        builder.Services.AddSingleton<IProbeAdmission>(new PlainProbeAdmission(options.RunDir, options.MaxProbeFileBytes));
        builder.Services.AddSingleton<IUnitBackend>(sp => BackendSelection.Resolve(options.Backend) switch
        {
            BackendKind.Process => new ProcessUnitBackend(
                new ProcessBackendOptions(options.RunDir, options.Tracer, options.TracerEnvironment, TimeSpan.FromSeconds(options.KillAfterSeconds)),
                sp.GetRequiredService<EnvFileStore>(), sp.GetRequiredService<ILogger<ProcessUnitBackend>>()),
            var other => throw new InvalidOperationException($"the {other} backend is not available in this build; set Backend to process"),
        });
        builder.Services.AddSingleton(sp => new LifecyclePorts(
            sp.GetRequiredService<IJobMetadataSource>(),
            sp.GetRequiredService<IProbeAdmission>(),
            sp.GetRequiredService<IEnvFiles>(),
            sp.GetRequiredService<IUnitBackend>(),
            sp.GetRequiredService<IReadyFiles>()));

        builder.Services.AddAkka("datacrumbsd", (akka, sp) =>
        {
            akka.ConfigureLoggers(loggers =>
            {
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            });
            akka.WithActors((system, registry) =>
            {
                var jobs = system.ActorOf(
                    JobSupervisor.Props(sp.GetRequiredService<LifecyclePorts>(), options.Timeouts.ToLifecycle(), options.RememberEndedJobs), "jobs");
                registry.Register<JobSupervisor>(jobs);
            });
        });
        builder.Services.AddHostedService<DaemonService>();
        return builder.Build();
    }
}

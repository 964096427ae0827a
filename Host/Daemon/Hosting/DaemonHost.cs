using Akka.Hosting;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Actors.Scheduling;
using Datacrumbs.Actors.Supervision;
using Datacrumbs.Daemon.Configuration;
using Datacrumbs.Daemon.Control;
using Datacrumbs.Daemon.Files;
using Datacrumbs.Daemon.Flux;
using Datacrumbs.Daemon.Metadata;
using Datacrumbs.Daemon.Probes;
using Datacrumbs.Daemon.Slurm;
using Datacrumbs.Daemon.ProcessBackend;
using Datacrumbs.Daemon.Systemd;
using Datacrumbs.Daemon.Users;
using Datacrumbs.Messages.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Akka.Logger.Serilog;
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
        builder.Services.AddSystemd(); // READY=1 and STOPPING=1 when run as a Type=notify unit
        builder.Services.TryAddSingleton<ISystemdNotifier, SystemdNotifier>(); // AddSystemd adds it only under systemd
        // After AddSystemd, which looks at LISTEN_PID to tell whether systemd started it; taking them removes the variables.
        builder.Services.AddSingleton(SystemdListenSockets.TakeFromEnvironment());
        // Akka's Serilog logger writes to the static logger: set it before the actor system starts.
        Log.Logger = DaemonLogging.Create(logLevel, options.Log, options.JournalSocket, out var journal,
            systemdUnits: BackendSelection.Resolve(options.Backend) is BackendKind.Systemd);
        builder.Services.AddSerilog(Log.Logger, dispose: true);

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new EnvFileStore(options.RunDir));
        builder.Services.AddSingleton<IEnvFiles>(sp => sp.GetRequiredService<EnvFileStore>());
        builder.Services.AddSingleton<IReadyFiles>(new ReadyFileWatcher(options.RunDir));
        var users = new UserDirectory();
        var (jobspecs, jobspecsHow) = FluxJobspecSources.Create(users, options.FluxCommand, options.FluxLibrary);
        Log.Information("flux: {JobspecSource}", jobspecsHow);
        // Each scheduler's jobs go to its own metadata source and its own notices: a Slurm job runs no flux command.
        builder.Services.AddSingleton<IJobMetadataSource>(new MetadataRouter(new InlineMetadataSource(users),
            new Dictionary<JobScheduler, IJobMetadataSource>
            {
                [JobScheduler.Flux] = jobspecs,
                [JobScheduler.Slurm] = new SlurmMetadataSource(users),
            }));
        builder.Services.AddSingleton(ProbeAdmission.Create(options));
        builder.Services.AddSingleton<IUnitBackend>(sp => BackendSelection.Resolve(options.Backend) switch
        {
            BackendKind.Process => new ProcessUnitBackend(
                new ProcessBackendOptions(options.RunDir, options.Tracer, options.TracerEnvironment, TimeSpan.FromSeconds(options.KillAfterSeconds)),
                sp.GetRequiredService<EnvFileStore>(), sp.GetRequiredService<ILogger<ProcessUnitBackend>>()),
            _ => new SystemdUnitBackend(new SystemdBackendOptions(), sp.GetRequiredService<ILogger<SystemdUnitBackend>>()),
        });
        builder.Services.AddSingleton(sp => new LifecyclePorts(
            sp.GetRequiredService<IJobMetadataSource>(),
            sp.GetRequiredService<IProbeAdmission>(),
            sp.GetRequiredService<IEnvFiles>(),
            sp.GetRequiredService<IUnitBackend>(),
            sp.GetRequiredService<IReadyFiles>(),
            new JobNoticesRouter(new Dictionary<JobScheduler, IJobNotices>
            {
                [JobScheduler.Flux] = new FluxJobNotices(users, options.FluxCommand, options.OnFailure, options.TraceDirPattern, sp.GetRequiredService<ILogger<FluxJobNotices>>()),
                [JobScheduler.Slurm] = new SlurmJobNotices(sp.GetRequiredService<ILogger<SlurmJobNotices>>()),
            })));

        builder.Services.AddSingleton<Metrics.LifecycleCounters>();
        builder.Services.AddSingleton(new Metrics.LogDrops(journal));
        builder.Services.AddHostedService<Metrics.TextfileExporter>();

        builder.Services.AddAkka("datacrumbsd", (akka, sp) =>
        {
            // Akka's own logs go through Serilog too, keeping the named holes of its templates as fields.
            akka.ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = Akka.Event.LogLevel.InfoLevel;
                loggers.ClearLoggers();
                loggers.AddLogger<SerilogLogger>(); // Akka's default formatter is semantic: named holes stay fields
            });
            akka.AddHocon("akka.stdout-loglevel = OFF", HoconAddMode.Prepend); // ConfigureLoggers has no setting for it
            // Deadline-driven, so an idle node never wakes for the actor system (Akka's default ticks every 10 ms).
            akka.AddHocon(DeadlineScheduler.Hocon, HoconAddMode.Prepend);
            akka.WithActors((system, registry) =>
            {
                var jobs = system.ActorOf(
                    JobSupervisor.Props(sp.GetRequiredService<LifecyclePorts>(), options.Timeouts.ToLifecycle(), options.RememberEndedJobs,
                        sp.GetRequiredService<Metrics.LifecycleCounters>()), "jobs");
                registry.Register<JobSupervisor>(jobs);
            });
        });
        // The control side: who may do what, how many connections, one request to one reply.
        builder.Services.AddSingleton(sp => new CallerPolicy(CallerIdentities.Resolve(options.AllowedCallers, sp.GetRequiredService<ILogger<CallerPolicy>>())));
        builder.Services.AddSingleton(sp => new ConnectionSlots(options.MaxConnections, options.MaxConnectionsPerUser, sp.GetRequiredService<CallerPolicy>()));
        builder.Services.AddSingleton(sp => new RequestHandler(
            sp.GetRequiredService<IRequiredActor<JobSupervisor>>(), sp.GetRequiredService<CallerPolicy>(),
            options.OnFailure, options.Timeouts.ToLifecycle(), sp.GetRequiredService<RequestActivity>()));
        builder.Services.AddHostedService<DaemonService>();
        builder.Services.AddHostedService<WatchdogService>();
        builder.Services.AddSingleton<RequestActivity>();
        builder.Services.AddHostedService<IdleMemoryTrim>();
        return builder.Build();
    }
}

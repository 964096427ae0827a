using System.Collections.Concurrent;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Benchmarks.Pipeline;

/// <summary>
/// The five ports in memory, each answering at once: what is left to measure is the actor
/// pipeline itself (supervisor, one lifecycle per job, its state changes and answers). Keeps
/// only what a node would (running units), so memory per tracked job is the actors' own.
/// </summary>
public sealed class InMemoryPorts : IJobMetadataSource, IProbeAdmission, IEnvFiles, IUnitBackend, IReadyFiles
{
    private static readonly TracingRequest Tracing = new("yes", "/home/user/probes.json.gz");
    private readonly ConcurrentDictionary<JobId, TaskCompletionSource<UnitExit>> _units = new();

    public LifecyclePorts Ports => new(this, this, this, this, this);
    public int Running => _units.Count;
    public string Name => "in-memory";

    public Task<JobMetadata> ResolveAsync(JobRequest request, CancellationToken ct) => Task.FromResult(new JobMetadata("user", Tracing));
    public Task<string> AdmitAsync(JobRequest request, JobMetadata metadata, CancellationToken ct) => Task.FromResult("/run/datacrumbs/probes");
    public Task ReleaseAsync(JobId job, CancellationToken ct) => Task.CompletedTask;
    public Task WriteAsync(JobId job, TracerEnvironment environment, CancellationToken ct) => Task.CompletedTask;
    public Task RemoveAsync(JobId job, CancellationToken ct) => Task.CompletedTask;
    public IReadOnlyList<JobId> List() => [];

    public Task<RunningUnit> StartAsync(JobId job, CancellationToken ct)
    {
        var unit = _units.GetOrAdd(job, _ => new TaskCompletionSource<UnitExit>(TaskCreationOptions.RunContinuationsAsynchronously));
        return Task.FromResult(new RunningUnit("unit", unit.Task));
    }

    public Task StopAsync(JobId job, CancellationToken ct)
    {
        if (_units.TryRemove(job, out var unit)) unit.TrySetResult(new UnitExit("stopped"));
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<JobId>> ListAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<JobId>>([]);
    public Task<UnitExit> FollowAdoptedAsync(JobId job, CancellationToken ct) => Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => new UnitExit("stopped"), TaskScheduler.Default);
    public string PathOf(JobId job) => "/run/datacrumbs/ready";
    public Task WaitAsync(JobId job, CancellationToken ct) => Task.CompletedTask;
    Task IReadyFiles.RemoveAsync(JobId job, CancellationToken ct) => Task.CompletedTask;
}

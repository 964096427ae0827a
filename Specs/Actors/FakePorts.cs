using System.Collections.Concurrent;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Specs.Actors;

/// <summary>How a fake port answers a call.</summary>
public enum Step { Succeed, Fail, Hang }

/// <summary>
/// All five ports in memory, for actor specs: each step can be told to succeed, fail or hang
/// (until cancelled) per job, and the fake keeps what a real node would have (env files,
/// running units, ready files, probe copies) so a spec can assert that nothing is left.
/// </summary>
public sealed class FakePorts : IJobMetadataSource, IProbeAdmission, IEnvFiles, IUnitBackend, IReadyFiles
{
    private readonly ConcurrentDictionary<(JobId, string), Step> _steps = new();
    private readonly ConcurrentDictionary<JobId, TaskCompletionSource<UnitExit>> _units = new();

    public ConcurrentDictionary<JobId, byte> EnvFiles { get; } = new();
    public ConcurrentDictionary<JobId, byte> ProbeCopies { get; } = new();
    public ConcurrentDictionary<JobId, byte> ReadyFiles { get; } = new();
    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>Jobs whose metadata says tracing was not asked for.</summary>
    public ConcurrentDictionary<JobId, byte> Untraced { get; } = new();

    /// <summary>A unit that returns a broken result (null), which makes the lifecycle actor itself throw.</summary>
    public ConcurrentDictionary<JobId, byte> BrokenUnits { get; } = new();

    public LifecyclePorts Ports => new(this, this, this, this, this);

    public FakePorts On(JobId job, string step, Step behaviour)
    {
        _steps[(job, step)] = behaviour;
        return this;
    }

    public IReadOnlyCollection<JobId> RunningUnits => _units.Keys.ToList();

    public bool NothingLeftOf(JobId job) =>
        !EnvFiles.ContainsKey(job) && !ProbeCopies.ContainsKey(job) && !ReadyFiles.ContainsKey(job) && !_units.ContainsKey(job);

    public bool NothingLeft => EnvFiles.IsEmpty && ProbeCopies.IsEmpty && ReadyFiles.IsEmpty && _units.IsEmpty;

    /// <summary>The unit of a running job ends on its own (crash of the tracer).</summary>
    public void UnitDies(JobId job, string reason)
    {
        if (_units.TryRemove(job, out var unit)) unit.TrySetResult(new UnitExit(reason));
    }

    private async Task Perform(JobId job, string step, CancellationToken ct)
    {
        Calls.Enqueue($"{step} {job}");
        switch (_steps.GetValueOrDefault((job, step), Step.Succeed))
        {
            case Step.Fail: throw new InvalidOperationException($"injected failure in {step}");
            case Step.Hang: await Task.Delay(Timeout.Infinite, ct); break;
        }
    }

    public async Task<JobMetadata> ResolveAsync(JobRequest request, CancellationToken ct)
    {
        await Perform(request.Job, "resolve", ct);
        return new JobMetadata($"user{request.Uid}", Untraced.ContainsKey(request.Job) ? null : new TracingRequest("yes", "/p/probes.json.gz"));
    }

    public async Task<string> AdmitAsync(JobRequest request, JobMetadata metadata, CancellationToken ct)
    {
        await Perform(request.Job, "admit", ct);
        ProbeCopies[request.Job] = 0;
        return $"/run/datacrumbs/{JobNames.ProbeCopy(request.Job)}";
    }

    public Task ReleaseAsync(JobId job, CancellationToken ct)
    {
        Calls.Enqueue($"release {job}");
        ProbeCopies.TryRemove(job, out _);
        return Task.CompletedTask;
    }

    public async Task WriteAsync(JobId job, TracerEnvironment environment, CancellationToken ct)
    {
        await Perform(job, "write-env", ct);
        EnvFiles[job] = 0;
    }

    public async Task RemoveAsync(JobId job, CancellationToken ct)
    {
        Calls.Enqueue($"remove-env {job}");
        await Task.Yield();
        EnvFiles.TryRemove(job, out _);
    }

    public string Name => "fake";

    public async Task<RunningUnit> StartAsync(JobId job, CancellationToken ct)
    {
        var unit = _units.GetOrAdd(job, _ => new TaskCompletionSource<UnitExit>(TaskCreationOptions.RunContinuationsAsynchronously));
        await Perform(job, "start", ct);
        if (BrokenUnits.ContainsKey(job)) return null!;
        return new RunningUnit(JobNames.Unit(job), unit.Task);
    }

    public async Task StopAsync(JobId job, CancellationToken ct)
    {
        await Perform(job, "stop", ct);
        if (_units.TryRemove(job, out var unit)) unit.TrySetResult(new UnitExit("stopped"));
    }

    public Task<IReadOnlyList<JobId>> ListAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<JobId>>(_units.Keys.ToList());

    /// <summary>An adopted job's unit runs until <see cref="UnitDies"/> or its stop.</summary>
    public Task<UnitExit> FollowAdoptedAsync(JobId job, CancellationToken ct) =>
        _units.GetOrAdd(job, _ => new TaskCompletionSource<UnitExit>(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(ct);

    public string PathOf(JobId job) => $"/run/datacrumbs/{JobNames.ReadyFile(job)}";

    public async Task WaitAsync(JobId job, CancellationToken ct)
    {
        await Perform(job, "ready", ct);
        ReadyFiles[job] = 0;
    }

    Task IReadyFiles.RemoveAsync(JobId job, CancellationToken ct)
    {
        Calls.Enqueue($"remove-ready {job}");
        ReadyFiles.TryRemove(job, out _);
        return Task.CompletedTask;
    }
}

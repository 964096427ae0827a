using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Daemon.Demo;

/// <summary>One demo job: how its stand-in tracer is told to behave, and the daemon's answers.</summary>
public sealed class DemoJob(JobId id, string behaviour)
{
    public JobId Id { get; } = id;
    public string Behaviour { get; } = behaviour;
    public ControlReply? Prolog { get; set; }
    public double PrologMs { get; set; }
    public ControlReply? Epilog { get; set; }
    public double EpilogMs { get; set; }

    public Outcome ExpectedProlog => Behaviour == "ready" ? Outcome.Ready : Outcome.Failed;

    public bool IsAsExpected => Prolog?.Outcome == ExpectedProlog && Epilog?.Outcome == Outcome.Stopped;
}

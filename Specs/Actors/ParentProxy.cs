using Akka.Actor;

namespace Datacrumbs.Specs.Actors;

/// <summary>
/// Stands in for the supervisor in lifecycle specs: creates the lifecycle as its child, tells the
/// probe the child's ref first, then passes everything the child tells its parent (state changes,
/// its end, commands it hands back) to the probe. Specs send commands to the child directly.
/// </summary>
public sealed class ParentProxy : ReceiveActor
{
    public ParentProxy(Props child, IActorRef probe)
    {
        probe.Tell(Context.ActorOf(child, "job"));
        ReceiveAny(message => probe.Forward(message));
    }
}

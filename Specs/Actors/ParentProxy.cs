using Akka.Actor;

namespace Datacrumbs.Specs.Actors;

/// <summary>
/// Stands in for the supervisor in lifecycle specs: creates the lifecycle as its child, passes
/// what the test sends to the child (keeping the sender), and what the child tells its parent
/// (state changes, its end) to a probe.
/// </summary>
public sealed class ParentProxy : ReceiveActor
{
    public ParentProxy(Props child, IActorRef probe)
    {
        var lifecycle = Context.ActorOf(child, "job");
        ReceiveAny(message =>
        {
            if (Sender.Equals(lifecycle)) probe.Tell(message);
            else lifecycle.Forward(message);
        });
    }
}

using Akka.Configuration;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Datacrumbs.Specs.Actors;

/// <summary>
/// TestKit with Akka's TestScheduler: timers fire only when a spec advances the clock, so every
/// timeout is tested exactly and instantly, never by sleeping.
/// </summary>
public abstract class VirtualTimeSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Config, output: output)
{
    private static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.loglevel = WARNING
        """);

    protected TestScheduler Clock => (TestScheduler)Sys.Scheduler;
}

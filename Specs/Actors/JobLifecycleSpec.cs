using Akka.Actor;
using Akka.TestKit;
using Datacrumbs.Actors.Lifecycle;
using Datacrumbs.Messages.Jobs;
using Xunit.Abstractions;

namespace Datacrumbs.Specs.Actors;

public sealed class JobLifecycleSpec(ITestOutputHelper output) : VirtualTimeSpec(output)
{
    private static readonly JobId Job = JobId.Parse("ƒLUv");
    private const uint JobUid = 60001; // simulated: the in-memory ports never look it up
    private static readonly LifecycleTimeouts Timeouts = new();
    private readonly FakePorts _ports = new();

    private (IActorRef Lifecycle, TestProbe Parent) StartProlog()
    {
        var parent = CreateTestProbe();
        Sys.ActorOf(Props.Create(() => new ParentProxy(
            JobLifecycle.ForProlog(new JobRequest(Job, JobUid), _ports.Ports, Timeouts), parent.Ref)));
        var lifecycle = parent.ExpectMsg<IActorRef>();
        lifecycle.Tell(new Prolog(new JobRequest(Job, JobUid)), TestActor);
        return (lifecycle, parent);
    }

    private static void AwaitState(TestProbe parent, LifecycleState state) =>
        parent.FishForMessage<JobStateChanged>(m => m.State == state);

    private JobAnswer ExpectAnswer(Outcome outcome)
    {
        var answer = ExpectMsg<JobAnswer>();
        Assert.True(outcome == answer.Outcome, $"expected {outcome}, got {answer.Outcome}: {answer.Message}");
        return answer;
    }

    [Fact]
    public void A_healthy_job_walks_every_state_in_order_to_ready_and_after_its_epilog_to_done()
    {
        var (lifecycle, parent) = StartProlog();
        foreach (var state in new[] { LifecycleState.Resolving, LifecycleState.WritingEnv, LifecycleState.StartingUnit, LifecycleState.AwaitingReady, LifecycleState.Ready })
            Assert.Equal(state, parent.ExpectMsg<JobStateChanged>().State);
        var ready = ExpectAnswer(Outcome.Ready);
        Assert.Equal(Job, ready.Job);
        Assert.Single(_ports.RunningUnits);

        lifecycle.Tell(new Epilog(Job), TestActor);
        Assert.Equal(LifecycleState.Stopping, parent.ExpectMsg<JobStateChanged>().State);
        Assert.Equal(LifecycleState.Done, parent.ExpectMsg<JobStateChanged>().State);
        ExpectAnswer(Outcome.Stopped);
        Assert.Equal(Outcome.Stopped, parent.ExpectMsg<JobEnded>().Answer.Outcome);
        Assert.True(_ports.NothingLeft);
    }

    [Theory]
    [InlineData("resolve", LifecycleState.Resolving, false)]
    [InlineData("admit", LifecycleState.Resolving, false)]
    [InlineData("write-env", LifecycleState.WritingEnv, false)]
    [InlineData("start", LifecycleState.StartingUnit, true)]
    [InlineData("ready", LifecycleState.AwaitingReady, true)]
    public void A_failure_in_each_state_fails_the_prolog_naming_the_state_and_cleans_up(string step, LifecycleState state, bool unitWasStarted)
    {
        _ports.On(Job, step, Step.Fail);
        var (lifecycle, parent) = StartProlog();

        var failed = ExpectAnswer(Outcome.Failed);
        Assert.Equal(state, failed.State);
        Assert.Contains($"failed in {state}", failed.Message);
        Assert.Contains($"injected failure in {step}", failed.Message);
        AwaitState(parent, LifecycleState.Failed);
        Assert.True(_ports.NothingLeft);
        Assert.Equal(unitWasStarted, _ports.Calls.Contains($"stop {Job}"));

        // The failure is held for duplicate prologs until the epilog, which ends the job.
        lifecycle.Tell(new Prolog(new JobRequest(Job, JobUid)), TestActor);
        Assert.Equal(failed, ExpectMsg<JobAnswer>());
        lifecycle.Tell(new Epilog(Job), TestActor);
        ExpectAnswer(Outcome.Stopped);
        parent.FishForMessage<JobEnded>(_ => true);
    }

    [Theory]
    [InlineData("resolve", LifecycleState.Resolving, 10)]
    [InlineData("admit", LifecycleState.Resolving, 10)]
    [InlineData("write-env", LifecycleState.WritingEnv, 5)]
    [InlineData("start", LifecycleState.StartingUnit, 30)]
    [InlineData("ready", LifecycleState.AwaitingReady, 120)]
    public void Each_state_times_out_exactly_at_its_own_timeout(string step, LifecycleState state, int seconds)
    {
        _ports.On(Job, step, Step.Hang);
        var (_, parent) = StartProlog();
        AwaitState(parent, state);

        Clock.Advance(TimeSpan.FromSeconds(seconds) - TimeSpan.FromMilliseconds(1));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Clock.Advance(TimeSpan.FromMilliseconds(1));

        var failed = ExpectAnswer(Outcome.Failed);
        Assert.Equal(state, failed.State);
        Assert.Contains($"timed out after {seconds} s", failed.Message);
        AwaitState(parent, LifecycleState.Failed);
        Assert.True(_ports.NothingLeft);
    }

    [Fact]
    public void A_tracer_that_dies_before_ready_fails_the_prolog_at_once_not_at_the_timeout()
    {
        _ports.On(Job, "ready", Step.Hang);
        var (_, parent) = StartProlog();
        AwaitState(parent, LifecycleState.AwaitingReady);

        _ports.UnitDies(Job, "tracer exited with code 3");

        var failed = ExpectAnswer(Outcome.Failed);
        Assert.Equal(LifecycleState.AwaitingReady, failed.State);
        Assert.Contains("the tracer ended before it was ready: tracer exited with code 3", failed.Message);
        AwaitState(parent, LifecycleState.Failed);
        Assert.True(_ports.NothingLeft);
    }

    [Fact]
    public void A_unit_that_dies_after_ready_is_recorded_and_the_epilog_still_cleans_up()
    {
        var (lifecycle, parent) = StartProlog();
        ExpectAnswer(Outcome.Ready);

        _ports.UnitDies(Job, "tracer killed by signal 11");
        var marked = parent.FishForMessage<JobStateChanged>(m => m.Error is not null);
        Assert.Equal(LifecycleState.Ready, marked.State);
        Assert.Contains("signal 11", marked.Error);

        lifecycle.Tell(new Epilog(Job), TestActor);
        ExpectAnswer(Outcome.Stopped);
        Assert.True(_ports.NothingLeft);
    }

    [Theory]
    [InlineData("resolve", LifecycleState.Resolving)]
    [InlineData("write-env", LifecycleState.WritingEnv)]
    [InlineData("start", LifecycleState.StartingUnit)]
    [InlineData("ready", LifecycleState.AwaitingReady)]
    public void An_epilog_during_the_prolog_cancels_it_answers_both_and_cleans_up(string step, LifecycleState state)
    {
        _ports.On(Job, step, Step.Hang);
        var (lifecycle, parent) = StartProlog();
        AwaitState(parent, state);
        var epilogClient = CreateTestProbe();

        lifecycle.Tell(new Epilog(Job), epilogClient);

        var canceled = ExpectAnswer(Outcome.Canceled);
        Assert.Contains($"while the prolog was in {state}", canceled.Message);
        Assert.Equal(Outcome.Stopped, epilogClient.ExpectMsg<JobAnswer>().Outcome);
        parent.FishForMessage<JobEnded>(_ => true);
        Assert.True(_ports.NothingLeft);
    }

    [Fact]
    public void A_second_prolog_joins_the_first_and_gets_the_same_answer_with_one_unit_started()
    {
        var (lifecycle, _) = StartProlog();
        var secondRank = CreateTestProbe();
        lifecycle.Tell(new Prolog(new JobRequest(Job, JobUid)), secondRank);

        var first = ExpectAnswer(Outcome.Ready);
        Assert.Equal(first, secondRank.ExpectMsg<JobAnswer>());
        Assert.Single(_ports.Calls, c => c == $"start {Job}");
    }

    [Fact]
    public void An_epilog_whose_stop_fails_reports_what_could_not_be_cleaned_up()
    {
        var (lifecycle, parent) = StartProlog();
        ExpectAnswer(Outcome.Ready);
        _ports.On(Job, "stop", Step.Fail);

        lifecycle.Tell(new Epilog(Job), TestActor);

        var failed = ExpectAnswer(Outcome.Failed);
        Assert.Equal(LifecycleState.Stopping, failed.State);
        Assert.Contains("could not clean up: stop the tracer: injected failure in stop", failed.Message);
        Assert.Equal(Outcome.Failed, parent.FishForMessage<JobEnded>(_ => true).Answer.Outcome);
        Assert.False(_ports.EnvFiles.ContainsKey(Job)); // everything else was still removed
    }

    [Fact]
    public void An_epilog_whose_stop_hangs_gives_up_at_the_stop_timeout()
    {
        var (lifecycle, parent) = StartProlog();
        ExpectAnswer(Outcome.Ready);
        _ports.On(Job, "stop", Step.Hang);

        lifecycle.Tell(new Epilog(Job), TestActor);
        AwaitState(parent, LifecycleState.Stopping);
        Clock.Advance(Timeouts.Stop);

        var failed = ExpectAnswer(Outcome.Failed);
        Assert.Contains($"timed out after {Timeouts.Stop.TotalSeconds} s", failed.Message);
    }

    [Fact]
    public void A_command_that_reaches_a_lifecycle_after_its_end_is_handed_back_to_the_supervisor()
    {
        _ports.Untraced[Job] = 0;
        var (lifecycle, parent) = StartProlog();
        ExpectAnswer(Outcome.NotRequested);
        parent.FishForMessage<JobEnded>(_ => true);

        // A duplicate the supervisor forwarded before it heard of the end: never dropped.
        var late = new Prolog(new JobRequest(Job, JobUid));
        lifecycle.Tell(late, TestActor);

        Assert.Same(late, parent.ExpectMsg<Prolog>());
        Assert.Equal(TestActor, parent.LastSender);
    }

    [Fact]
    public void A_job_that_did_not_ask_for_tracing_starts_nothing_and_ends_at_once()
    {
        _ports.Untraced[Job] = 0;
        var (_, parent) = StartProlog();

        ExpectAnswer(Outcome.NotRequested);
        Assert.Equal(Outcome.NotRequested, parent.FishForMessage<JobEnded>(_ => true).Answer.Outcome);
        Assert.DoesNotContain(_ports.Calls, c => c.StartsWith("start") || c.StartsWith("admit"));
    }
}

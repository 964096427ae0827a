using Akka.Actor;
using Datacrumbs.Actors.Lifecycle;
using Datacrumbs.Actors.Supervision;
using Datacrumbs.Messages.Jobs;
using Xunit.Abstractions;

namespace Datacrumbs.Specs.Actors;

public sealed class JobSupervisorSpec(ITestOutputHelper output) : VirtualTimeSpec(output)
{
    private readonly FakePorts _ports = new();

    private IActorRef Supervisor() => Sys.ActorOf(JobSupervisor.Props(_ports.Ports, new LifecycleTimeouts()));

    private const uint AliceUid = 60001, BobUid = 60002; // simulated: the in-memory ports never look them up
    private static Prolog PrologOf(JobId job) => new(new JobRequest(job, AliceUid));

    private List<JobStatus> Status(IActorRef supervisor)
    {
        supervisor.Tell(new StatusQuery(null), TestActor);
        return ExpectMsg<StatusReport>().Jobs.ToList();
    }

    [Fact]
    public void Five_thousand_concurrent_jobs_all_reach_the_right_end_state_and_no_reply_is_lost()
    {
        const int count = 5000;
        var jobs = Enumerable.Range(1, count).Select(i => new JobId((ulong)i)).ToList();
        // A mix: every 10th tracer fails to start, every 7th job did not ask for tracing.
        foreach (var job in jobs.Where(j => j.Value % 10 == 0)) _ports.On(job, "start", Step.Fail);
        foreach (var job in jobs.Where(j => j.Value % 7 == 0 && j.Value % 10 != 0)) _ports.Untraced[job] = 0;
        Outcome Expected(JobId j) => j.Value % 10 == 0 ? Outcome.Failed : j.Value % 7 == 0 ? Outcome.NotRequested : Outcome.Ready;

        var supervisor = Supervisor();
        foreach (var job in jobs) supervisor.Tell(PrologOf(job), TestActor);
        var prologs = ReceiveN(count, TimeSpan.FromSeconds(60)).Cast<JobAnswer>().ToList();

        Assert.Equal(jobs.ToHashSet(), prologs.Select(a => a.Job).ToHashSet());
        Assert.All(prologs, a => Assert.Equal(Expected(a.Job), a.Outcome));
        Assert.Equal(jobs.Count(j => Expected(j) == Outcome.Ready), _ports.RunningUnits.Count);

        foreach (var job in jobs) supervisor.Tell(new Epilog(job), TestActor);
        var epilogs = ReceiveN(count, TimeSpan.FromSeconds(60)).Cast<JobAnswer>().ToList();

        Assert.Equal(jobs.ToHashSet(), epilogs.Select(a => a.Job).ToHashSet());
        // A job that did not ask stays NotRequested: its epilog, like its prolog, is silent in flux dmesg.
        Assert.All(epilogs, a => Assert.Equal(Expected(a.Job) == Outcome.NotRequested ? Outcome.NotRequested : Outcome.Stopped, a.Outcome));
        Assert.True(_ports.NothingLeft);
        AwaitAssert(() => Assert.Empty(Status(supervisor)));
    }

    [Fact]
    public void A_flux_job_and_a_slurm_job_with_the_same_number_are_two_lifecycles_each_ended_by_its_own_epilog()
    {
        var flux = new JobId(4242);
        var slurm = JobId.Slurm(4242);
        var supervisor = Supervisor();

        supervisor.Tell(PrologOf(flux), TestActor);
        supervisor.Tell(PrologOf(slurm), TestActor);
        var prologs = ReceiveN(2).Cast<JobAnswer>().ToList();
        Assert.Equal([flux, slurm], prologs.Select(a => a.Job).Order());
        Assert.All(prologs, a => Assert.Equal(Outcome.Ready, a.Outcome));
        Assert.Equal([flux, slurm], _ports.RunningUnits.Order());

        supervisor.Tell(new Epilog(slurm), TestActor);
        var stopped = ExpectMsg<JobAnswer>();
        Assert.Equal((slurm, Outcome.Stopped), (stopped.Job, stopped.Outcome));
        Assert.Equal([flux], _ports.RunningUnits);
        Assert.True(_ports.NothingLeftOf(slurm));

        supervisor.Tell(new Epilog(flux), TestActor);
        Assert.Equal(Outcome.Stopped, ExpectMsg<JobAnswer>().Outcome);
        Assert.True(_ports.NothingLeft);
    }

    [Fact]
    public void A_crash_in_one_jobs_lifecycle_fails_that_job_only_and_cleans_it_up()
    {
        var crashing = new JobId(66);
        var healthy = new JobId(67);
        _ports.BrokenUnits[crashing] = 0; // its unit port returns null: the lifecycle actor throws
        var supervisor = Supervisor();

        supervisor.Tell(PrologOf(crashing), TestActor);
        var crashed = ExpectMsg<JobAnswer>();
        Assert.Equal(Outcome.Failed, crashed.Outcome);
        Assert.Contains("crashed", crashed.Message);

        supervisor.Tell(PrologOf(healthy), TestActor);
        Assert.Equal(Outcome.Ready, ExpectMsg<JobAnswer>().Outcome);

        // The cleanup lifecycle that replaced the crashed one removed what it had started.
        AwaitAssert(() => Assert.True(_ports.NothingLeftOf(crashing)));
        AwaitAssert(() => Assert.Equal(LifecycleState.Failed, Status(supervisor).Single(s => s.Job == crashing.ToString()).State));
        supervisor.Tell(new Epilog(crashing), TestActor);
        Assert.Equal(Outcome.Stopped, ExpectMsg<JobAnswer>().Outcome);
        supervisor.Tell(new Epilog(healthy), TestActor);
        Assert.Equal(Outcome.Stopped, ExpectMsg<JobAnswer>().Outcome);
        Assert.True(_ports.NothingLeft);
    }

    [Fact]
    public void An_epilog_for_an_unknown_job_makes_sure_nothing_runs_and_succeeds()
    {
        var job = new JobId(70);
        var supervisor = Supervisor();

        supervisor.Tell(new Epilog(job), TestActor);

        Assert.Equal(Outcome.Stopped, ExpectMsg<JobAnswer>().Outcome);
        Assert.Contains($"stop {job}", _ports.Calls);
        Assert.Contains($"remove-env {job}", _ports.Calls);
    }

    [Fact]
    public void Late_duplicates_get_consistent_answers_from_the_memory_of_ended_jobs()
    {
        var traced = new JobId(80);
        var untraced = new JobId(81);
        _ports.Untraced[untraced] = 0;
        var supervisor = Supervisor();

        supervisor.Tell(PrologOf(traced), TestActor);
        Assert.Equal(Outcome.Ready, ExpectMsg<JobAnswer>().Outcome);
        supervisor.Tell(new Epilog(traced), TestActor);
        Assert.Equal(Outcome.Stopped, ExpectMsg<JobAnswer>().Outcome);
        var startsBefore = _ports.Calls.Count(c => c == $"start {traced}");

        // A prolog from a slow rank after the epilog must not start tracing again.
        supervisor.Tell(PrologOf(traced), TestActor);
        var late = ExpectMsg<JobAnswer>();
        Assert.Equal(Outcome.Canceled, late.Outcome);
        Assert.Contains("epilog already ran", late.Message);
        Assert.Equal(startsBefore, _ports.Calls.Count(c => c == $"start {traced}"));

        supervisor.Tell(PrologOf(untraced), TestActor);
        Assert.Equal(Outcome.NotRequested, ExpectMsg<JobAnswer>().Outcome);
        supervisor.Tell(PrologOf(untraced), TestActor);
        Assert.Equal(Outcome.NotRequested, ExpectMsg<JobAnswer>().Outcome);
        supervisor.Tell(new Epilog(untraced), TestActor);
        Assert.Equal(Outcome.NotRequested, ExpectMsg<JobAnswer>().Outcome); // silent in flux dmesg, like its prolog
        Assert.Single(_ports.Calls, c => c == $"resolve {untraced}");
    }

    [Fact]
    public void After_a_restart_running_jobs_are_adopted_for_their_epilogs_and_leftovers_cleaned_without_blocking_a_retried_prolog()
    {
        var running = new JobId(90);
        var leftover = new JobId(91);
        _ports.EnvFiles[leftover] = 0;
        _ports.ProbeCopies[leftover] = 0;
        var supervisor = Supervisor();

        supervisor.Tell(new AdoptJobs([new AdoptedJob(running, AliceUid, "dcalice")], [leftover]), ActorRefs.NoSender);

        AwaitAssert(() => Assert.True(_ports.NothingLeftOf(leftover)));
        var adopted = Status(supervisor).Single(s => s.Job == running.ToString());
        Assert.Equal(LifecycleState.Ready, adopted.State);
        Assert.Equal("dcalice", adopted.User);

        supervisor.Tell(new Epilog(running), TestActor);
        Assert.Equal(Outcome.Stopped, ExpectMsg<JobAnswer>().Outcome);
        Assert.Contains($"stop {running}", _ports.Calls);

        // The leftover's cleanup was not its epilog: a prolog retried after the restart still traces.
        supervisor.Tell(PrologOf(leftover), TestActor);
        Assert.Equal(Outcome.Ready, ExpectMsg<JobAnswer>().Outcome);
    }

    [Fact]
    public void An_adopted_tracer_that_dies_during_its_job_is_reported_as_a_started_one_is()
    {
        var running = new JobId(92);
        var supervisor = Supervisor();
        supervisor.Tell(new AdoptJobs([new AdoptedJob(running, AliceUid, "dcalice")], []), ActorRefs.NoSender);
        AwaitAssert(() => Assert.Equal(LifecycleState.Ready, Status(supervisor).Single(s => s.Job == running.ToString()).State));

        AwaitAssert(() => Assert.Contains(running, _ports.RunningUnits)); // followed from adoption on
        _ports.UnitDies(running, "tracer killed by signal 9");

        AwaitAssert(() => Assert.Equal("the tracer ended after it was ready: tracer killed by signal 9",
            Status(supervisor).Single(s => s.Job == running.ToString()).LastError));
        supervisor.Tell(new Epilog(running), TestActor);
        Assert.Equal(Outcome.Stopped, ExpectMsg<JobAnswer>().Outcome);
    }

    [Fact]
    public void Status_shows_each_user_only_their_own_jobs()
    {
        var supervisor = Supervisor();
        supervisor.Tell(new Prolog(new JobRequest(new JobId(100), AliceUid)), TestActor);
        supervisor.Tell(new Prolog(new JobRequest(new JobId(101), BobUid)), TestActor);
        ReceiveN(2);

        supervisor.Tell(new StatusQuery(BobUid), TestActor);
        var mine = ExpectMsg<StatusReport>().Jobs;

        Assert.Equal([new JobId(101).ToString()], mine.Select(s => s.Job));
        Assert.Equal(2, Status(supervisor).Count);
    }
}

using Datacrumbs.Daemon.Journal;
using Datacrumbs.Messages.Jobs;
using Serilog;

namespace Datacrumbs.Specs.Journal;

public sealed class JobUnitEnricherSpec
{
    private static CollectingSink Log(Action<ILogger> write)
    {
        var sink = new CollectingSink();
        using var logger = new LoggerConfiguration().Enrich.With<JobUnitEnricher>().WriteTo.Sink(sink).CreateLogger();
        write(logger);
        return sink;
    }

    [Fact]
    public void An_event_naming_a_job_gets_its_unit()
    {
        var job = JobId.Parse("fELtY71");
        var events = Log(l => { l.Information("{JobId}: ready", job); l.Information("{JobId}: as text", "fELtY71"); }).Events;
        Assert.All(events, e => Assert.Equal("datacrumbs@fELtY71.service", JournalEntryEncoder.Render(e.Properties["Unit"])));
    }

    [Fact]
    public void A_slurm_job_gets_its_own_unit_and_field_never_the_flux_job_with_the_same_number()
    {
        var events = Log(l => { l.Information("{JobId}: ready", JobId.Slurm(12345)); l.Information("{JobId}: ready", new JobId(12345)); }).Events;
        Assert.Equal("datacrumbs@s12345.service", JournalEntryEncoder.Render(events[0].Properties["Unit"]));
        Assert.Equal("s12345", JournalEntryEncoder.Render(events[0].Properties["JobId"]));
        Assert.Equal("datacrumbs@f4fr.service", JournalEntryEncoder.Render(events[1].Properties["Unit"]));
    }

    [Fact]
    public void Events_without_a_valid_job_or_with_a_unit_are_left_alone()
    {
        var events = Log(l =>
        {
            l.Information("no job here");
            l.Information("{JobId}: hostile", "../../etc\n");
            l.ForContext("Unit", "given.service").Information("{JobId}: unit given", "fELtY71");
        }).Events;
        Assert.False(events[0].Properties.ContainsKey("Unit"));
        Assert.False(events[1].Properties.ContainsKey("Unit"));
        Assert.Equal("given.service", JournalEntryEncoder.Render(events[2].Properties["Unit"]));
    }
}

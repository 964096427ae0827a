using Datacrumbs.Messages.Jobs;
using Serilog.Core;
using Serilog.Events;

namespace Datacrumbs.Daemon.Journal;

/// <summary>
/// Adds <c>Unit</c> (the job's systemd unit, <c>datacrumbs@fXYZ.service</c>) to every event that
/// names a job in a <c>JobId</c> property, so that the journal's DATACRUMBS_UNIT is on every
/// lifecycle entry without each log call naming it. The unit is derived from the id alone.
/// </summary>
public sealed class JobUnitEnricher : ILogEventEnricher
{
    public const string JobIdProperty = "JobId";
    public const string UnitProperty = "Unit";

    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        if (logEvent.Properties.TryGetValue(JobIdProperty, out var value) && TryGetJob(value, out var job))
            logEvent.AddPropertyIfAbsent(new LogEventProperty(UnitProperty, new ScalarValue(JobNames.Unit(job))));
    }

    private static bool TryGetJob(LogEventPropertyValue value, out JobId job)
    {
        job = default;
        if (value is ScalarValue { Value: JobId id }) { job = id; return true; }
        return value is ScalarValue { Value: string text } && JobId.TryParse(text, out job, out _);
    }
}

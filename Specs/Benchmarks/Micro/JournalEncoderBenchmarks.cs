using BenchmarkDotNet.Attributes;
using Datacrumbs.Daemon.Journal;
using Datacrumbs.Messages.Jobs;
using Serilog.Events;
using Serilog.Parsing;

namespace Datacrumbs.Benchmarks.Micro;

/// <summary>One journal entry in the native protocol: a lifecycle's "ready" entry, and a failure with an exception.</summary>
public class JournalEncoderBenchmarks
{
    private static readonly JobId Job = new(0x0000_1e4c_8a00_0001UL);
    private readonly JournalEntryEncoder _encoder = new("datacrumbsd");
    private LogEvent _ready = null!;
    private LogEvent _failure = null!;

    [GlobalSetup]
    public void Setup()
    {
        var parser = new MessageTemplateParser();
        LogEventProperty P(string name, object value) => new(name, new ScalarValue(value));
        _ready = new LogEvent(DateTimeOffset.Now, LogEventLevel.Information, null,
            parser.Parse("{JobId}: tracer ready after {ReadyMs} ms"),
            [P("JobId", Job.ToString()), P("ReadyMs", 12.5), P("State", "Ready"), P("Unit", JobNames.Unit(Job)),
             P("User", "dcalice"), P("SourceContext", "Datacrumbs.Actors.Lifecycle.JobLifecycle")]);
        Exception error;
        try { throw new InvalidOperationException("the tracer exited with code 3 before it was ready"); }
        catch (Exception e) { error = e; }
        _failure = new LogEvent(DateTimeOffset.Now, LogEventLevel.Error, error,
            parser.Parse("{JobId}: tracing failed in {FailedState}: {Cause}"),
            [P("JobId", Job.ToString()), P("FailedState", "AwaitingReady"), P("Cause", error.Message), P("State", "Failed"),
             P("Unit", JobNames.Unit(Job)), P("SourceContext", "Datacrumbs.Actors.Lifecycle.JobLifecycle")]);
    }

    [Benchmark] public int ReadyEntry() => _encoder.Encode(_ready).Length;
    [Benchmark] public int FailureWithException() => _encoder.Encode(_failure).Length;
}

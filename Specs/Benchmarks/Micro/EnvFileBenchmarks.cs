using BenchmarkDotNet.Attributes;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Files;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Benchmarks.Micro;

/// <summary>The env file: rendered (checked and quoted) on every prolog, parsed back by the process backend.</summary>
public class EnvFileBenchmarks
{
    private static readonly JobId Job = new(0x0000_1e4c_8a00_0001UL);
    private static readonly TracerEnvironment Environment = TracerEnvironment.For(
        new JobRequest(Job, 1001), new JobMetadata("dcalice", new TracingRequest("yes", "/home/dcalice/probes.json.gz")),
        $"/run/datacrumbs/{JobNames.ProbeCopy(Job)}", $"/run/datacrumbs/{JobNames.ReadyFile(Job)}");
    private string _text = "";

    [GlobalSetup]
    public void Setup() => _text = EnvFileFormat.Render(Environment);

    [Benchmark] public string Render() => EnvFileFormat.Render(Environment);
    [Benchmark] public TracerEnvironment Parse() => EnvFileFormat.Parse(_text);
}

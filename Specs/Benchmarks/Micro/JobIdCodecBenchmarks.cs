using BenchmarkDotNet.Attributes;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Benchmarks.Micro;

/// <summary>The job id codec: every prolog and epilog parses one, every file and unit name formats one.</summary>
public class JobIdCodecBenchmarks
{
    private static readonly JobId Job = new(0x0000_1e4c_8a00_0001UL); // a realistic Flux id (f58 about 10 digits)
    private string _text = "";

    [Params(JobIdFormat.Decimal, JobIdFormat.F58, JobIdFormat.F58Plain, JobIdFormat.Hex, JobIdFormat.DotHex, JobIdFormat.Kvs)]
    public JobIdFormat Form { get; set; }

    [GlobalSetup]
    public void Setup() => _text = Job.Format(Form);

    [Benchmark]
    public string Format() => Job.Format(Form);

    [Benchmark]
    public JobId Parse() => JobId.Parse(_text);
}

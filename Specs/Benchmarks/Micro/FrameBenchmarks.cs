using BenchmarkDotNet.Attributes;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Benchmarks.Micro;

/// <summary>The control socket's frames: a prolog request and its reply, encoded and decoded.</summary>
public class FrameBenchmarks
{
    private static readonly ControlRequest Request = new()
    {
        Op = Operation.Prolog, Job = "fELtY71", Uid = 60001, FluxUri = "local:///run/flux/local",
    };
    private static readonly ControlReply Reply = new()
    {
        Status = ReplyStatus.Ok, Message = "tracing is ready after 12.3 ms", Job = "fELtY71",
        Outcome = Outcome.Ready, State = LifecycleState.Ready, Policy = FailurePolicy.Continue, ElapsedMs = 12.3,
    };
    private byte[] _request = [];
    private byte[] _reply = [];

    [GlobalSetup]
    public void Setup()
    {
        _request = Frames.Encode(Request, WireJson.Default.ControlRequest);
        _reply = Frames.Encode(Reply, WireJson.Default.ControlReply);
    }

    [Benchmark] public byte[] EncodeRequest() => Frames.Encode(Request, WireJson.Default.ControlRequest);
    [Benchmark] public ControlRequest DecodeRequest() => Frames.Decode(_request.AsSpan(4), WireJson.Default.ControlRequest);
    [Benchmark] public byte[] EncodeReply() => Frames.Encode(Reply, WireJson.Default.ControlReply);
    [Benchmark] public ControlReply DecodeReply() => Frames.Decode(_reply.AsSpan(4), WireJson.Default.ControlReply);

    /// <summary>What the daemon does per connection: read a request frame from a stream, write a reply frame.</summary>
    [Benchmark]
    public async Task<ControlRequest?> StreamRoundTrip()
    {
        var stream = new MemoryStream(_request, writable: false);
        var request = await Frames.ReadAsync(stream, WireJson.Default.ControlRequest, Frames.DefaultMaxRequestBytes, CancellationToken.None);
        await Frames.WriteAsync(Stream.Null, Reply, WireJson.Default.ControlReply, CancellationToken.None);
        return request;
    }
}

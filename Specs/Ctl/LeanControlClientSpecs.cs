using System.Text.Json;
using CsCheck;
using Datacrumbs.Ctl;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.Ctl;

/// <summary>
/// The hooks' lean client writes and reads the control protocol by hand: held here to WireJson,
/// the one serializer of the daemon and of every other client, over generated requests and replies,
/// and over a real socket.
/// </summary>
public sealed class LeanControlClientSpecs
{
    // Job ids and URIs come from a job's environment: any text, control characters and all.
    private static readonly Gen<string?> Text = Gen.Frequency(
        (1, Gen.Const((string?)null)),
        (6, Gen.String[Gen.Char.AlphaNumeric, 0, 20].Select(s => (string?)s)),
        (3, Gen.String[Gen.Char, 0, 20].Select(s => (string?)s)),
        (1, Gen.OneOf("ƒNH", "f\u2028\"\\/<>&'", "\u0000\u001f\u007f").Select(s => (string?)s)));
    private static readonly Gen<uint?> Uid = Gen.Frequency((1, Gen.Const((uint?)null)), (4, Gen.UInt.Select(u => (uint?)u)));

    private static readonly Gen<ControlRequest> Request =
        Gen.Select(Gen.OneOf(Operation.Prolog, Operation.Epilog), Text, Uid, Text, Uid).Select((op, job, uid, uri, owner) =>
            new ControlRequest { Op = op, Job = job, Uid = uid, FluxUri = uri, FluxOwnerUid = owner });

    private static Gen<T?> Maybe<T>(Gen<T> gen) where T : struct => Gen.Frequency((1, Gen.Const((T?)null)), (3, gen.Select(v => (T?)v)));

    private static readonly Gen<ControlReply> Reply =
        Gen.Select(Gen.Enum<ReplyStatus>(), Text, Text, Maybe(Gen.Enum<Outcome>()), Maybe(Gen.Enum<FailurePolicy>()), Maybe(Gen.Enum<LifecycleState>()), Maybe(Gen.Int[0, 1_000_000]), Gen.Bool)
            .Select((status, message, job, outcome, policy, state, elapsed, jobs) => new ControlReply
            {
                Status = status, Message = message ?? "", Job = job, Outcome = outcome, Policy = policy, State = state,
                ElapsedMs = elapsed, Jobs = jobs ? [] : null,
            });

    [Fact]
    public void Requests_it_writes_are_read_by_WireJson_as_they_were_sent()
    {
        Request.Sample(request =>
            Assert.Equal(request, Frames.Decode(LeanControlClient.EncodeRequest(request), WireJson.Default.ControlRequest)));
    }

    [Fact]
    public void Replies_WireJson_writes_are_read_with_every_field_a_hook_uses()
    {
        Reply.Sample(reply =>
        {
            var read = LeanControlClient.DecodeReply(JsonSerializer.SerializeToUtf8Bytes(reply, WireJson.Default.ControlReply));
            Assert.Equal((reply.Status, reply.Message, reply.Job, reply.Outcome, reply.Policy), (read.Status, read.Message, read.Job, read.Outcome, read.Policy));
        });
    }

    [Fact]
    public void It_sends_only_a_hooks_requests()
    {
        var wrapper = WrapperRequests.Start(new JobId(1), 0, "/p.json.gz");
        Assert.Throws<ArgumentException>(() => LeanControlClient.EncodeRequest(wrapper));
    }

    [Theory]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{}", "no 'status'")]
    [InlineData("{\"status\":\"Ok\"}", "no 'message'")]
    [InlineData("{\"status\":\"ok\",\"message\":\"m\"}", "'status' is not a ReplyStatus: 'ok'")]
    [InlineData("{\"status\":\"1\",\"message\":\"m\"}", "'status' is not a ReplyStatus: '1'")]
    [InlineData("{\"status\":\"Ok\",\"message\":\"m\",\"outcome\":\"Later\"}", "'outcome' is not a Outcome: 'Later'")]
    [InlineData("{\"status\":\"Ok\",\"message\":5}", "frame is not a valid ControlReply: ")]
    [InlineData("{\"status\":\"Ok\",\"message\":\"m\"} {}", "frame is not a valid ControlReply: ")]
    [InlineData("{\"status\":\"Ok\",\"message\":\"m\"", "frame is not a valid ControlReply: ")]
    [InlineData("not json", "frame is not a valid ControlReply: ")]
    public void A_broken_reply_is_a_protocol_error_that_says_what_is_wrong(string json, string expected)
    {
        var e = Assert.Throws<ProtocolException>(() => LeanControlClient.DecodeReply(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.StartsWith("frame is not a valid ControlReply: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public async Task Over_a_real_socket_the_daemon_gets_the_request_and_the_hook_its_answer()
    {
        using var dir = ProbeFixtures.NewDir();
        var request = new ControlRequest { Op = Operation.Prolog, Job = "ƒNH", Uid = 4242, FluxUri = "local:///run/flux/local", FluxOwnerUid = 7 };
        var reply = new ControlReply { Status = ReplyStatus.Ok, Message = "not asked", Job = "fNH", Outcome = Outcome.NotRequested, Jobs = [] };
        await using var daemon = new ScriptedDaemon(dir["d.sock"], reply);

        var read = await Task.Run(() => LeanControlClient.Send(daemon.Socket, request, TimeSpan.FromSeconds(60)));

        Assert.Equal(request, Assert.Single(daemon.Requests));
        Assert.Equal((reply.Status, reply.Message, "ƒNH", reply.Outcome), (read.Status, read.Message, read.Job, read.Outcome)); // the stand-in names the request's job
    }

    [Fact]
    public async Task A_daemon_that_never_answers_is_given_up_on_at_the_deadline_as_ControlClient_says()
    {
        using var dir = ProbeFixtures.NewDir();
        await using var daemon = new ScriptedDaemon(dir["d.sock"], ScriptedDaemon.Hold);

        var e = await Assert.ThrowsAsync<TimeoutException>(() => Task.Run(() =>
            LeanControlClient.Send(daemon.Socket, new ControlRequest { Op = Operation.Epilog, Job = "fNH" }, TimeSpan.FromSeconds(2))));

        Assert.Equal($"no reply from the daemon at {daemon.Socket} within 2 s", e.Message);
    }
}

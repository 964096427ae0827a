using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.Security;

/// <summary>
/// Issue 17, finding 4: the allow-list of binary_path was a string prefix, so a user's symlink (or
/// file) under an allowed tree was signed and could be re-pointed at any binary while the signature
/// was valid. By default the signer now refuses targets behind a symbolic link or in a tree a user
/// owns or may write, as its own host sees them. A real signer whose allowed tree holds a root file,
/// a symlink, and a directory of dcalice's.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SignerTargetTreesSpec : IAsyncLifetime
{
    private readonly ProbeFixtures.TempDir _dir = ProbeFixtures.NewDir();
    private SignerUnderTest? _signer;

    private string Socket => _dir["sock/signer.sock"];
    private string Tree => _dir["apps"];
    private string Output => _signer?.Output ?? "";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Tree);
        File.SetUnixFileMode(Tree, (UnixFileMode)0b111_101_101);
        ProbeFixtures.WriteFile(Path.Combine(Tree, "app"), "#!/bin/true\n"u8.ToArray(), 0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(Tree, "link"), "/usr/bin/true");
        Directory.CreateDirectory(Path.Combine(Tree, "alice"));
        await ProbeFixtures.ChownAsync(Path.Combine(Tree, "alice"), "dcalice");

        ProbeFixtures.WriteSecretFile(_dir["secret"], ProbeFixtures.NewSecretHex());
        var config = SignerFixture.Config(Socket, _dir["secret"])
            .Replace("\"allowed_binaries\": [\"/usr/bin/\", \"/opt/app/bin/app\"],", $"\"allowed_binaries\": [\"{Tree}/\"],");
        File.WriteAllText(_dir["signer.json"], config);
        _signer = await SignerUnderTest.StartAsync(_dir["signer.json"]);
    }

    public Task DisposeAsync()
    {
        _signer?.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_root_owned_target_in_a_root_owned_tree_is_signed()
    {
        var reply = await SignAsync($$"""{"type":2,"name":"app","functions":["main"],"binary_path":"{{Tree}}/app","include_offsets":false}""");
        Assert.True(reply.Status == SignStatus.Signed, reply.Message);
    }

    [Fact]
    public async Task A_target_behind_a_symbolic_link_is_refused()
    {
        var reply = await SignAsync($$"""{"type":2,"name":"app","functions":["main"],"binary_path":"{{Tree}}/link","include_offsets":false}""");
        Assert.Equal(SignStatus.Refused, reply.Status);
        Assert.Contains($"binary_path '{Tree}/link' passes through the symbolic link {Tree}/link", reply.Message);
        Assert.Contains("policy.allow_user_writable_targets", reply.Message);
    }

    [Fact]
    public async Task A_target_in_a_users_directory_is_refused_even_before_it_exists()
    {
        var reply = await SignAsync($$"""{"type":2,"name":"app","functions":["main"],"binary_path":"{{Tree}}/alice/app","include_offsets":false}""");
        Assert.Equal(SignStatus.Refused, reply.Status);
        Assert.Contains($"is in a tree uid {TestUsers.Alice.Uid} can change ({Tree}/alice belongs to uid {TestUsers.Alice.Uid})", reply.Message);
    }

    [Fact]
    public async Task Custom_bpf_code_in_a_users_directory_is_refused()
    {
        var reply = await SignAsync($$"""{"type":4,"name":"bpf","functions":["x"],"bpf_path":"{{Tree}}/alice/probe.bpf.o"}""");
        Assert.Equal(SignStatus.Refused, reply.Status);
        Assert.Contains($"bpf_path '{Tree}/alice/probe.bpf.o' is in a tree uid {TestUsers.Alice.Uid} can change", reply.Message);
    }

    /// <summary>Asks as root (this process, a member of the custom group).</summary>
    private async Task<SignReply> SignAsync(string probe)
    {
        var body = Encoding.UTF8.GetBytes($$"""{"categories":[{{probe}}]}""");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(Socket));
        await using var stream = new NetworkStream(socket);
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, body.Length);
        await stream.WriteAsync(header);
        await stream.WriteAsync(body);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await Frames.ReadAsync(stream, SignerJson.Default.SignReply, Frames.DefaultMaxReplyBytes, deadline.Token)
               ?? throw new InvalidOperationException("no reply");
    }
}

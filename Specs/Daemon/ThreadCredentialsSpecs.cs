using Datacrumbs.Daemon.Native;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Daemon;

/// <summary>
/// The daemon opens its Flux handles as the instance owner on a thread of their own
/// (<see cref="ThreadCredentials"/>): only that thread changes user, and a call that never returns
/// (a broker that never accepts) is given up on at the deadline, its late result handed back.
/// Real setresuid on a real thread, as root, with a real user.
/// </summary>
public sealed class ThreadCredentialsSpecs
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    /// <summary>The effective uid of the calling thread, as the kernel reports it.</summary>
    private static uint ThreadEffectiveUid() =>
        uint.Parse(File.ReadLines("/proc/thread-self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            .Split('\t', StringSplitOptions.RemoveEmptyEntries)[2]);

    [Fact]
    public void The_call_runs_as_the_user_and_the_daemon_stays_root()
    {
        Assert.True(Environment.IsPrivilegedProcess, "this spec needs root, as the daemon runs");
        var alice = TestUsers.Alice;

        var inside = ThreadCredentials.RunAs(alice.Uid, alice.Gid, ThreadEffectiveUid, Generous, _ => { });

        Assert.Equal(alice.Uid, inside);
        Assert.Equal(0u, ThreadEffectiveUid());
        Assert.Equal(0u, uint.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[2]));
    }

    [Fact]
    public async Task A_call_that_does_not_return_in_time_is_given_up_on_and_its_late_result_handed_back()
    {
        var alice = TestUsers.Alice;
        using var release = new ManualResetEventSlim();
        var late = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var e = Assert.Throws<TimeoutException>(() => ThreadCredentials.RunAs(alice.Uid, alice.Gid, () =>
        {
            release.Wait(Generous);
            return "opened late";
        }, TimeSpan.FromSeconds(1), late.SetResult));
        Assert.Equal($"as-uid-{alice.Uid}: the call did not return within 1 s", e.Message);

        release.Set();
        Assert.Equal("opened late", await late.Task.WaitAsync(Generous));
    }

    [Fact]
    public void A_failing_call_fails_the_caller_with_its_own_exception()
    {
        var alice = TestUsers.Alice;
        var e = Assert.Throws<IOException>(() => ThreadCredentials.RunAs<int>(alice.Uid, alice.Gid, () => throw new IOException("connection refused"), Generous, _ => { }));
        Assert.Equal("connection refused", e.Message);
    }
}

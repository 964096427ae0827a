using Datacrumbs.Daemon.Control;

namespace Datacrumbs.Specs.Daemon;

/// <summary>
/// Reading systemd's socket-activation variables as sd_listen_fds(3) does. The daemon under the
/// real systemd is SystemdSocketActivationSpec; these are the values systemd would never set.
/// </summary>
public sealed class SystemdListenSocketsSpec
{
    private const int Me = 4242;

    [Fact]
    public void Descriptors_from_3_are_named_by_LISTEN_FDNAMES_in_order()
    {
        var sockets = SystemdListenSockets.Parse(Me.ToString(), "2", "hooks:public", Me);
        Assert.Equal(new Dictionary<string, int> { ["hooks"] = 3, ["public"] = 4 }, sockets.Remaining);
    }

    [Theory]
    [InlineData(null, "2", "hooks:public")]      // not socket-activated at all
    [InlineData("4243", "2", "hooks:public")]    // meant for another process (e.g. our parent's)
    [InlineData("4242", "0", "")]                // activated with no sockets
    public void Variables_not_meant_for_this_process_give_no_socket(string? pid, string count, string names) =>
        Assert.Empty(SystemdListenSockets.Parse(pid, count, names, Me).Remaining);

    [Fact]
    public void Taking_them_removes_the_variables_so_no_child_inherits_them()
    {
        // Meant for another pid: nothing is taken (no descriptor of this test host is touched), and still removed.
        Environment.SetEnvironmentVariable("LISTEN_PID", (Environment.ProcessId + 1).ToString());
        Environment.SetEnvironmentVariable("LISTEN_FDS", "2");
        Environment.SetEnvironmentVariable("LISTEN_FDNAMES", "hooks:public");

        Assert.Empty(SystemdListenSockets.TakeFromEnvironment().Remaining);
        foreach (var name in new[] { "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES" })
            Assert.Null(Environment.GetEnvironmentVariable(name));
    }

    [Fact]
    public void Without_LISTEN_FDNAMES_every_descriptor_is_unknown() =>
        Assert.Equal(new Dictionary<string, int> { ["unknown"] = 3 }, SystemdListenSockets.Parse(Me.ToString(), "1", null, Me).Remaining);

    [Theory]
    [InlineData("12ab", "1", "hooks", "LISTEN_PID='12ab' is not a process id")]
    [InlineData("4242", "two", "hooks", "LISTEN_FDS='two' is not a number of descriptors")]
    [InlineData("4242", "-1", "hooks", "LISTEN_FDS='-1' is not a number of descriptors")]
    [InlineData("4242", "2", "hooks", "LISTEN_FDNAMES='hooks' names 1 descriptor(s) but LISTEN_FDS=2")]
    [InlineData("4242", "2", "hooks:hooks", "names two descriptors 'hooks': give each socket unit its own FileDescriptorName=")]
    public void Values_systemd_would_never_set_are_refused_naming_the_variable(string pid, string count, string names, string message)
    {
        var e = Assert.Throws<InvalidOperationException>(() => SystemdListenSockets.Parse(pid, count, names, Me));
        Assert.Contains(message, e.Message);
    }
}

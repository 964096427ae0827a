using Datacrumbs.Daemon.Users;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Flux;

public sealed class UserDirectorySpecs
{
    [Fact]
    public void Root_is_root() => Assert.Equal("root", new UserDirectory().NameOf(0));

    [Fact]
    public async Task An_ordinary_user_is_found_by_uid()
    {
        var id = await Run.CommandAsync("id", "-u", "dcalice");
        Assert.True(id.ExitCode == 0, "user dcalice must exist (CI's .ci/run creates it)");
        Assert.Equal("dcalice", new UserDirectory().NameOf(uint.Parse(id.Stdout.Trim())));
    }

    [Fact]
    public void An_unknown_uid_is_shown_as_its_number() =>
        Assert.Equal("3999999999", new UserDirectory().NameOf(3_999_999_999));
}

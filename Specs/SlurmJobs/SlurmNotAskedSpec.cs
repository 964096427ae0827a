using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.SlurmJobs;

/// <summary>
/// Most Slurm jobs do not ask for tracing (no SPANK_DATACRUMBS_ENABLE): their prolog and epilog
/// are answered by the client alone, silently, without the daemon. The socket here leads nowhere,
/// so any attempt to reach a daemon would show as exit 3.
/// </summary>
public sealed class SlurmNotAskedSpec : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dc-slurm-notasked-").FullName;
    private string NoDaemon => Path.Combine(_dir, "no-daemon.sock");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task A_job_that_did_not_ask_passes_both_hooks_at_once_and_without_a_word(string? enable)
    {
        var env = SlurmHook.Environment(NoDaemon, "4242", TestUsers.Alice.Uid.ToString(), enable, "/whatever");
        foreach (var result in new[] { await SlurmHook.PrologAsync(env, "--retry-for", "60"), await SlurmHook.EpilogAsync(env, "--retry-for", "60") })
        {
            Assert.Equal(0, result.ExitCode);
            Assert.Equal("", result.Stdout);
            Assert.Equal("", result.Stderr);
        }
    }

    [Fact]
    public async Task A_job_that_asked_does_go_to_the_daemon()
    {
        var env = SlurmHook.Environment(NoDaemon, "4242", TestUsers.Alice.Uid.ToString(), "1", "/whatever");
        var prolog = await SlurmHook.PrologAsync(env, "--retry-for", "0");
        Assert.Equal(3, prolog.ExitCode);
        Assert.Contains("datacrumbs: s4242:", prolog.Stderr + prolog.Stdout);
        var epilog = await SlurmHook.EpilogAsync(env, "--retry-for", "0");
        Assert.Equal(3, epilog.ExitCode);
    }

    [Fact]
    public async Task The_options_override_the_environment_for_tests()
    {
        var env = SlurmHook.Environment(NoDaemon, "4242", TestUsers.Alice.Uid.ToString(), null, null);
        var asked = await SlurmHook.PrologAsync(env, "--retry-for", "0", "--enable", "1", "--probe-file", "/p", "--job", "77", "--uid", "0");
        Assert.Equal(3, asked.ExitCode);
        Assert.Contains("s77", asked.Stderr + asked.Stdout);
        env["SPANK_DATACRUMBS_ENABLE"] = "1";
        var notAsked = await SlurmHook.PrologAsync(env, "--retry-for", "0", "--enable", "");
        Assert.Equal(0, notAsked.ExitCode);
    }
}

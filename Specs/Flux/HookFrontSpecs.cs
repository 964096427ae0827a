using System.Diagnostics;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Ctl;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Flux;

/// <summary>
/// `datacrumbsctl hook prolog|epilog`, the real client, as the Flux job-manager runs it: against a
/// stand-in daemon on a real Unix socket (<see cref="ScriptedDaemon"/>), handing over to the real hook scripts (which run the
/// stand-in client and flux of <see cref="HookScratch"/> for anything further). A job that goes on
/// costs one process and one request; everything else is the script's, with the first answer.
/// </summary>
public sealed class HookFrontSpecs : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private readonly HookScratch _scratch = new();
    private string Socket => Path.Combine(_scratch.Dir, "daemon.sock");

    public void Dispose() => _scratch.Dispose();

    private static ControlReply Answer(Outcome outcome, FailurePolicy? policy = null) =>
        new() { Status = ReplyStatus.Ok, Outcome = outcome, Policy = policy, Message = $"the stand-in's {outcome}" };

    private Dictionary<string, string?> Env(string? onFailure = null)
    {
        var env = _scratch.Env(onFailure);
        env["DATACRUMBS_SOCKET"] = Socket;
        env["FLUX_JOB_USERID"] = "4242";
        env["FLUX_URI"] = "local:///run/flux/local";
        return env;
    }

    private Task<Run.Result> FrontAsync(string hook, params string[] options) =>
        Run.CommandAsync(DaemonProcess.Ctl, ["hook", hook, .. options], Generous, Env());

    private static string Script(string hook) => Checkout.File("deploy", "flux", hook == "prolog" ? "datacrumbs_service_run.sh" : "datacrumbs_service_stop.sh");

    [Theory]
    [InlineData("prolog", Outcome.NotRequested, "")]
    [InlineData("epilog", Outcome.NotRequested, "")]
    [InlineData("prolog", Outcome.Ready, "datacrumbs: ƒNH: ready: the stand-in's Ready\n")]
    [InlineData("epilog", Outcome.Stopped, "datacrumbs: ƒNH: stopped: the stand-in's Stopped\n")]
    public async Task A_job_that_goes_on_costs_one_request_and_no_script(string hook, Outcome outcome, string line)
    {
        await using var daemon = new ScriptedDaemon(Socket, Answer(outcome));

        // No script is there to run: the answer alone decides.
        var r = await FrontAsync(hook, "--script=/nonexistent/hook.sh");

        Assert.Equal((0, line, ""), (r.ExitCode, r.Stdout, r.Stderr));
        var request = Assert.Single(daemon.Requests);
        Assert.Equal("ƒNH", request.Job);
        Assert.Equal(hook == "prolog" ? Operation.Prolog : Operation.Epilog, request.Op);
        if (hook == "prolog") Assert.Equal((4242u, "local:///run/flux/local"), (request.Uid, request.FluxUri));
        Assert.Empty(_scratch.Calls);
    }

    [Fact]
    public async Task A_failure_goes_to_the_script_with_the_first_answer_and_the_daemon_is_not_asked_again()
    {
        await using var daemon = new ScriptedDaemon(Socket, Answer(Outcome.Failed, FailurePolicy.Continue));

        var r = await FrontAsync("prolog", $"--script={Script("prolog")}");

        Assert.Equal(0, r.ExitCode);
        var line = "datacrumbs: ƒNH: FAILED: the stand-in's Failed (job runs untraced)";
        Assert.Equal((line + "\n", ""), (r.Stdout, r.Stderr));
        Assert.Single(daemon.Requests);
        Assert.Empty(_scratch.Calls); // the script's own client never ran
        Assert.Equal(["job", "raise", "--severity=1", "--type=datacrumbs", "--message=" + line, "ƒNH"], _scratch.Raised ?? []);
    }

    [Fact]
    public async Task Under_fail_the_script_cancels_the_job_from_the_first_answer()
    {
        await using var daemon = new ScriptedDaemon(Socket, Answer(Outcome.Failed, FailurePolicy.Fail));

        var r = await FrontAsync("prolog", $"--script={Script("prolog")}");

        var line = "datacrumbs: ƒNH: FAILED: the stand-in's Failed (on-failure=fail: job canceled)";
        Assert.Equal((0, line + "\n"), (r.ExitCode, r.Stdout));
        Assert.Equal(["job", "raise", "--severity=0", "--type=datacrumbs", "--message=" + line, "ƒNH"], _scratch.Raised ?? []);
    }

    [Theory]
    [InlineData("prolog")]
    [InlineData("epilog")]
    public async Task With_no_daemon_a_job_that_did_not_ask_passes_without_a_word_and_no_second_call(string hook)
    {
        _scratch.Jobspec(null);

        // No socket at all: the daemon is stopped. Policy fail would cancel a job that asked.
        var r = await Run.CommandAsync(DaemonProcess.Ctl, ["hook", hook, $"--script={Script(hook)}", "--on-failure=fail"], Generous, Env());

        Assert.Equal((0, "", ""), (r.ExitCode, r.Stdout, r.Stderr));
        Assert.Equal(["asks-tracing"], _scratch.Calls); // the jobspec was read; the daemon not asked again
        Assert.Null(_scratch.Raised);
    }

    [Fact]
    public async Task With_no_daemon_a_job_that_asked_is_told_tracing_is_unavailable()
    {
        _scratch.Jobspec("yes");
        _scratch.ClientExits("prolog", 3);

        var r = await FrontAsync("prolog", $"--script={Script("prolog")}");

        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith($"datacrumbs: fNH: failed: tracing unavailable on {Environment.MachineName}: the datacrumbs daemon is not running (", r.Stdout);
        Assert.Equal("asks-tracing", _scratch.Calls[0]);
        Assert.Matches($@"^prolog --socket {Socket} --timeout \d+$", _scratch.Calls[1]); // waits for a restart, within what is left of the wait
        Assert.Equal(2, _scratch.Calls.Length);
    }

    [Fact]
    public async Task Sigterm_while_the_daemon_holds_the_answer_runs_the_scripts_cleanup_in_the_same_process()
    {
        await using var daemon = new ScriptedDaemon(Socket, ScriptedDaemon.Hold);
        var psi = new ProcessStartInfo(DaemonProcess.Ctl) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "hook", "prolog", $"--script={Script("prolog")}" }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Env()) psi.Environment[k] = v;
        using var front = Process.Start(psi)!;
        var stdout = front.StandardOutput.ReadToEndAsync();
        var stderr = front.StandardError.ReadToEndAsync();

        await daemon.FirstRequest.WaitAsync(Generous);
        (await Run.CommandAsync("kill", "-TERM", front.Id.ToString())).EnsureSuccess("kill");
        await front.WaitForExitAsync().WaitAsync(Generous);

        // The pid Flux waits for is the one that ends, with the script's exit code and line.
        Assert.Equal(143, front.ExitCode);
        Assert.Equal("datacrumbs: fNH: prolog interrupted by SIGTERM; asked the daemon to stop tracing (epilog exit 0)\n", await stdout);
        Assert.Equal("", await stderr);
        Assert.Equal([$"epilog --socket {Socket} --timeout 30"], _scratch.Calls);
    }

    [Theory]
    [InlineData("--on-failure=maybe", "datacrumbs: fNH: prolog hook: on-failure must be continue or fail, not 'maybe'")]
    [InlineData("--timeout=soon", "datacrumbs: fNH: prolog hook: timeouts must be whole seconds, not 'soon'")]
    [InlineData("--bogus", "datacrumbs: fNH: prolog hook: unknown argument '--bogus' (see --help)")]
    public async Task A_setting_the_script_refuses_is_refused_by_the_script_before_anything_is_asked(string option, string message)
    {
        await using var daemon = new ScriptedDaemon(Socket, Answer(Outcome.NotRequested));

        var r = await FrontAsync("prolog", $"--script={Script("prolog")}", option);

        Assert.Equal((1, message + "\n"), (r.ExitCode, r.Stdout));
        Assert.Empty(daemon.Requests);
    }

    [Fact]
    public async Task A_script_that_cannot_be_run_fails_the_hook_and_names_it()
    {
        await using var daemon = new ScriptedDaemon(Socket, Answer(Outcome.Failed, FailurePolicy.Continue));

        var r = await FrontAsync("prolog", "--script=/nonexistent/hook.sh");

        Assert.Equal(1, r.ExitCode);
        Assert.Equal("datacrumbs: fNH: prolog hook: cannot run /nonexistent/hook.sh: No such file or directory (install it, or name it with --script=PATH)\n", r.Stdout);
    }

    [Fact]
    public async Task Its_help_names_the_scripts_it_hands_over_to()
    {
        var r = await Run.CommandAsync(DaemonProcess.Ctl, ["hook", "--help"], Generous, Env());
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("usage: datacrumbsctl hook prolog|epilog [--script=PATH] [HOOK-OPTIONS]", r.Stdout);
        Assert.Contains("datacrumbs_service_run.sh", r.Stdout);
    }

    [Fact]
    public async Task Without_prolog_or_epilog_it_is_a_usage_error()
    {
        var r = await Run.CommandAsync(DaemonProcess.Ctl, ["hook"], Generous, Env());
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("say which, prolog or epilog", r.Stderr);
    }
}

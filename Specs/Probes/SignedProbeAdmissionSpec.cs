using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Probes;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Specs.Harness;
using static Datacrumbs.Specs.Probes.ProbeFixtures;

namespace Datacrumbs.Specs.Probes;

/// <summary>
/// The node side with real files and the real unprivileged users dcalice and dcbob: the file is read as
/// the job's user, verified, and the tracer gets a root-owned copy.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SignedProbeAdmissionSpec : IDisposable
{
    private static readonly JobId Job = new(123456789);
    private readonly ProbeSecret _keys = NewSecret();
    private readonly TempDir _user = NewDir();
    private readonly TempDir _run = NewDir();
    private readonly SignedProbeAdmission _admission;

    public SignedProbeAdmissionSpec() => _admission = new SignedProbeAdmission(_run.Path, _keys, ProbeAdmissionLimits.Default);

    public void Dispose()
    {
        _user.Dispose();
        _run.Dispose();
    }

    private static (JobRequest, JobMetadata) Alice(string path) =>
        (new JobRequest(Job, AliceUid), new JobMetadata("dcalice", new TracingRequest("yes", path)));

    private async Task<ProbesRejectedException> RefusedAsync(string path, uint? uid = null)
    {
        var (request, metadata) = Alice(path);
        var e = await Assert.ThrowsAsync<ProbesRejectedException>(() => _admission.AdmitAsync(request with { Uid = uid ?? AliceUid }, metadata, CancellationToken.None));
        Assert.False(File.Exists(Path.Combine(_run.Path, JobNames.ProbeCopy(Job))));
        return e;
    }

    private async Task<string> AliceFileAsync(string name, byte[] content, int mode = 0b110_000_000)
    {
        WriteFile(_user[name], content, mode);
        await ChownAsync(_user[name], "dcalice");
        return _user[name];
    }

    [Fact]
    public async Task A_valid_file_is_copied_root_owned_0600_into_the_run_dir_and_later_changes_do_not_reach_it()
    {
        var path = await AliceFileAsync("probes.json.gz", SignFor(AliceUid, "dcalice", _keys));
        var (request, metadata) = Alice(path);

        var copy = await _admission.AdmitAsync(request, metadata, CancellationToken.None);

        Assert.Equal(Path.Combine(_run.Path, "datacrumbs-" + Job + ".probes.json.gz"), copy);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(copy));
        using (var handle = File.OpenHandle(copy)) Assert.Equal(0u, KeyFileSecurity.Stat(handle, copy).Owner);
        var before = File.ReadAllBytes(copy);
        Assert.Equal(AliceUid, ProbesDocument.Verify(before, _keys, ProbeFileLimits.Default, DateTimeOffset.UtcNow, AliceUid).Binding.Uid);

        File.WriteAllBytes(path, SignFor(AliceUid, "dcalice", _keys, probes: """[{"type":0,"name":"x","functions":["read"]}]"""));
        Assert.Equal(before, File.ReadAllBytes(copy));

        await _admission.ReleaseAsync(Job, CancellationToken.None);
        Assert.False(File.Exists(copy));
        await _admission.ReleaseAsync(Job, CancellationToken.None); // idempotent
    }

    [Fact]
    public async Task A_symlink_to_a_file_only_root_can_read_is_rejected_as_unreadable_by_the_user()
    {
        // The target is a perfectly valid file signed for dcalice: only her permissions keep it out.
        WriteFile(_run["secret.json.gz"], SignFor(AliceUid, "dcalice", _keys), 0b110_000_000);
        var link = _user["probes.json.gz"];
        File.CreateSymbolicLink(link, _run["secret.json.gz"]);
        await ChownAsync(link, "dcalice");

        var e = await RefusedAsync(link);
        Assert.Equal(ProbeRejection.Unreadable, e.Reason);
        Assert.Contains($"dcalice (uid {AliceUid}) cannot read it", e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Contains("Permission denied"), e.Message);
        Assert.StartsWith($"probe file {link}: ", e.Message);
    }

    [Fact]
    public async Task Another_users_private_file_is_unreadable_and_another_users_signed_file_is_the_wrong_user()
    {
        WriteFile(_user["bob.json.gz"], SignFor(BobUid, "dcbob", _keys), 0b110_000_000);
        await ChownAsync(_user["bob.json.gz"], "dcbob");
        Assert.Equal(ProbeRejection.Unreadable, (await RefusedAsync(_user["bob.json.gz"])).Reason);

        var shared = await AliceFileAsync("shared.json.gz", SignFor(BobUid, "dcbob", _keys), 0b110_100_100);
        var e = await RefusedAsync(shared);
        Assert.Equal(ProbeRejection.WrongUser, e.Reason);
        Assert.EndsWith($"issued to uid {BobUid} (dcbob), job user is {AliceUid} (dcalice)", e.Message);
    }

    [Theory]
    [InlineData("/tmp/probes\n.json.gz", "contains a control character")]
    [InlineData("/tmp/a\u0000b", "contains a control character")]
    [InlineData("probes.json.gz", "not an absolute path")]
    [InlineData("../../etc/shadow", "not an absolute path")]
    public async Task Bad_paths_are_rejected_before_anything_is_read(string path, string reason)
    {
        var e = await RefusedAsync(path);
        Assert.Equal(ProbeRejection.BadPath, e.Reason);
        Assert.Contains(reason, e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public async Task A_huge_file_is_rejected_after_reading_no_more_than_the_limit()
    {
        var path = await AliceFileAsync("huge.json.gz", new byte[6 * 1024 * 1024]);
        var e = await RefusedAsync(path);
        Assert.Equal(ProbeRejection.TooLarge, e.Reason);
        Assert.EndsWith("file is larger than the limit of 4 MiB", e.Message);
    }

    [Fact]
    public async Task Tampered_expired_and_unsigned_files_are_refused_through_the_admission_too()
    {
        var tampered = SignFor(AliceUid, "dcalice", _keys);
        tampered[tampered.Length / 2] ^= 0x20;
        Assert.NotNull(await RefusedAsync(await AliceFileAsync("t.json.gz", tampered)));

        var expired = SignFor(AliceUid, "dcalice", _keys, DateTimeOffset.UtcNow.AddDays(-2), TimeSpan.FromDays(1));
        Assert.Equal(ProbeRejection.Expired, (await RefusedAsync(await AliceFileAsync("e.json.gz", expired))).Reason);

        var unknown = SignFor(AliceUid, "dcalice", NewSecret());
        Assert.Equal(ProbeRejection.BadSignature, (await RefusedAsync(await AliceFileAsync("u.json.gz", unknown))).Reason);
    }

    [Fact]
    public async Task A_fifo_that_never_delivers_is_abandoned_at_the_read_timeout()
    {
        (await Run.CommandAsync("mkfifo", _user["fifo"])).EnsureSuccess("mkfifo");
        await ChownAsync(_user["fifo"], "dcalice");
        var admission = new SignedProbeAdmission(_run.Path, _keys, ProbeAdmissionLimits.Default with { ReadTimeout = TimeSpan.FromSeconds(1) });
        var (request, metadata) = Alice(_user["fifo"]);
        var e = await Assert.ThrowsAsync<ProbesRejectedException>(() => admission.AdmitAsync(request, metadata, CancellationToken.None));
        Assert.Contains("did not finish within 1 s", e.Message);
    }

    [Fact]
    public async Task Cancellation_by_the_actor_is_honoured()
    {
        (await Run.CommandAsync("mkfifo", _user["fifo"])).EnsureSuccess("mkfifo");
        await ChownAsync(_user["fifo"], "dcalice");
        using var cts = new CancellationTokenSource();
        var (request, metadata) = Alice(_user["fifo"]);
        var admitting = _admission.AdmitAsync(request, metadata, cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => admitting);
    }
}

using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.Security;

/// <summary>
/// Issue 17: the short-lived child that reads a probe file as the job's user runs with that
/// user's uid: it must hold none of the root daemon's descriptors (sockets, the journal, the
/// run dir), only stdin, stdout, stderr and the file it reads. The probe file here is a FIFO,
/// so the reader is caught alive: our open for writing returns once it has opened the FIFO.
/// </summary>
public sealed class ProbeReaderDescriptorSpec : IAsyncLifetime
{
    private DaemonProcess Daemon = null!;

    public async Task InitializeAsync() => Daemon = await SignedDaemon.StartAsync();

    public async Task DisposeAsync()
    {
        await Daemon.DisposeAsync();
        Daemon.DeleteWorkDir();
    }

    [Fact]
    public async Task The_reader_child_inherits_no_descriptor_of_the_daemon_above_stderr()
    {
        var fifo = Path.Combine(Daemon.WorkDir, "probes.fifo");
        (await Run.CommandAsync("mkfifo", "-m", "0644", fifo)).EnsureSuccess("mkfifo");
        await ProbeFixtures.ChownAsync(fifo, "dcalice");
        var job = new JobId(17601);

        var prolog = Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, fifo));
        // Opening a FIFO for writing completes when a reader has opened it: the reader child.
        await using (var writer = await Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Write)).WaitAsync(TimeSpan.FromSeconds(120)))
        {
            var reader = ReaderOf(fifo);
            var descriptors = Directory.EnumerateFileSystemEntries($"/proc/{reader}/fd")
                .Select(fd => (Number: int.Parse(Path.GetFileName(fd)), Target: new FileInfo(fd).LinkTarget ?? "?"))
                .Where(fd => fd.Number > 2)
                .ToList();
            Assert.True(descriptors.All(fd => fd.Target == fifo),
                $"the reader (pid {reader}) holds: {string.Join(", ", descriptors.Select(fd => $"{fd.Number} -> {fd.Target}"))}");
            await writer.WriteAsync(DaemonProcess.ValidProbes);
        }

        Assert.Equal(Outcome.Ready, (await prolog).Outcome);
        Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
    }

    /// <summary>The process whose command line names the FIFO (setpriv has exec'd the reader by then).</summary>
    private static int ReaderOf(string fifo)
    {
        var readers = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string cmdline;
            try { cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")); }
            catch (IOException) { continue; } // gone meanwhile
            if (cmdline.Split('\0').Contains(fifo) && HasOpen(pid, fifo)) readers.Add(pid);
        }
        return Assert.Single(readers);
    }

    private static bool HasOpen(int pid, string path)
    {
        try { return Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Any(fd => new FileInfo(fd).LinkTarget == path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}

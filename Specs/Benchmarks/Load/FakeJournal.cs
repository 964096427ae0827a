using System.Net.Sockets;
using System.Text;

namespace Datacrumbs.Benchmarks.Load;

/// <summary>
/// A Unix datagram socket standing where journald's would, so the daemon logs as on a node (its
/// journald sink, at Information level) without a journal on this host: it reads and counts the
/// entries, and tells when the daemon says it is ready.
/// </summary>
public sealed class FakeJournal : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly Thread _reader;
    private long _entries;

    public string Path { get; }
    public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public long Entries => Interlocked.Read(ref _entries);

    public FakeJournal(string path)
    {
        Path = path;
        _socket.ReceiveBufferSize = 8 * 1024 * 1024;
        _socket.Bind(new UnixDomainSocketEndPoint(path));
        _reader = new Thread(Read) { IsBackground = true, Name = "fake-journal" };
        _reader.Start();
    }

    private void Read()
    {
        var buffer = new byte[256 * 1024];
        while (true)
        {
            int n;
            try { n = _socket.Receive(buffer); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            Interlocked.Increment(ref _entries);
            if (!Ready.Task.IsCompleted && Encoding.UTF8.GetString(buffer, 0, n).Contains("datacrumbsd ready")) Ready.TrySetResult();
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        File.Delete(Path);
    }
}

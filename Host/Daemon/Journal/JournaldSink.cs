using System.Diagnostics;
using System.Threading.Channels;
using Serilog.Core;
using Serilog.Debugging;
using Serilog.Events;

namespace Datacrumbs.Daemon.Journal;

/// <summary>
/// A Serilog sink writing to systemd's journal over its native protocol (see
/// <see cref="JournalEntryEncoder"/> for the fields, <see cref="JournalFieldNames"/> for how
/// properties are named). <see cref="Emit"/> never blocks: it puts the event in a bounded queue
/// that one background sender drains. Nothing is lost silently: an entry the queue cannot take,
/// that is too large even for a memfd, or that finds the journal unavailable with no fallback is
/// counted in <see cref="Dropped"/>; the sink says once (on the diagnostics writer) when the
/// journal becomes unavailable and when it is back, and reports drops as a journal entry.
/// </summary>
public sealed class JournaldSink : ILogEventSink, IDisposable
{
    private readonly JournaldSinkOptions _options;
    private readonly Channel<Item> _queue;
    private readonly JournalSocket _socket;
    private readonly JournalEntryEncoder _encoder;
    private readonly TextWriter _diagnostics;
    private readonly Task _sender;

    private long _sent, _sentViaMemfd, _fellBack;
    private long _droppedQueueFull, _droppedTooLarge, _droppedUnavailable, _droppedFailed;
    private long _reportedDrops;
    private long _lastDropReport = long.MinValue / 2;
    private bool _unavailable;
    private long _unavailableSince, _retryAt, _fellBackAtOutage, _droppedAtOutage;
    private int _disposed;

    public JournaldSink(JournaldSinkOptions? options = null)
    {
        _options = options ?? new JournaldSinkOptions();
        _queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,   // with TryWrite: a full queue refuses, we count
            SingleReader = true,
        });
        _socket = new JournalSocket(_options.SocketPath, _options.SendTimeout);
        _encoder = new JournalEntryEncoder(_options.Identifier);
        _diagnostics = _options.Diagnostics ?? Console.Error;
        _sender = Task.Run(SendLoopAsync);
    }

    /// <summary>Entries the journal accepted (by datagram or memfd).</summary>
    public long Sent => Interlocked.Read(ref _sent);
    /// <summary>Of <see cref="Sent"/>, those too large for a datagram that went as a memfd.</summary>
    public long SentViaMemfd => Interlocked.Read(ref _sentViaMemfd);
    /// <summary>Entries written to the fallback sink while the journal was unavailable.</summary>
    public long FellBack => Interlocked.Read(ref _fellBack);
    /// <summary>Entries written nowhere: queue full, too large, journal unavailable without fallback, or failed.</summary>
    public long Dropped =>
        Interlocked.Read(ref _droppedQueueFull) + Interlocked.Read(ref _droppedTooLarge)
        + Interlocked.Read(ref _droppedUnavailable) + Interlocked.Read(ref _droppedFailed);

    public string SocketPath => _options.SocketPath;

    /// <summary>Entries dropped because the queue was full, too large for the journal, unavailable with no fallback, or failed.</summary>
    public (long QueueFull, long TooLarge, long Unavailable, long Failed) DroppedBy =>
        (Interlocked.Read(ref _droppedQueueFull), Interlocked.Read(ref _droppedTooLarge),
         Interlocked.Read(ref _droppedUnavailable), Interlocked.Read(ref _droppedFailed));

    /// <summary>Raised on the dropping thread after every drop (the metrics writer arms its one-shot timer).</summary>
    public event Action? EntryDropped;

    private void Drop(ref long counter)
    {
        Interlocked.Increment(ref counter);
        EntryDropped?.Invoke();
    }

    public void Emit(LogEvent logEvent)
    {
        if (!_queue.Writer.TryWrite(new Item(logEvent, null)))
            Drop(ref _droppedQueueFull);
    }

    /// <summary>Completes once every entry emitted before the call has been sent, fallen back or
    /// dropped; false if that took longer than <paramref name="timeout"/> or the sink is closed.</summary>
    public async Task<bool> FlushAsync(TimeSpan timeout)
    {
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await _queue.Writer.WriteAsync(new Item(null, flushed), cts.Token);
            await flushed.Task.WaitAsync(cts.Token);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            return false;
        }
    }

    private async Task SendLoopAsync()
    {
        Task<bool>? waiting = null;
        while (true)
        {
            while (_queue.Reader.TryRead(out var item))
            {
                if (item.Flushed is not null) item.Flushed.TrySetResult();
                else Write(item.Event!);
                if (DropReportDue()) ReportDrops();
            }
            waiting ??= _queue.Reader.WaitToReadAsync().AsTask();
            if (Dropped > _reportedDrops && !_unavailable)
            {
                // drops happened and the queue is idle: report them when the interval allows
                var due = TimeSpan.FromMilliseconds(Math.Max(0, _lastDropReport + (long)_options.DropReportInterval.TotalMilliseconds - Now));
                try { await waiting.WaitAsync(due); }
                catch (TimeoutException) { ReportDrops(); continue; }
            }
            if (!await waiting) return;
            waiting = null;
        }
    }

    private void Write(LogEvent logEvent)
    {
        if (_unavailable && Now < _retryAt)
        {
            Fallback(logEvent);
            return;
        }
        JournalSocket.Result result;
        try { result = _socket.Send(_encoder.Encode(logEvent).Span); }
        catch (Exception e)   // a property whose ToString throws, say: lose the entry, not the sink
        {
            Drop(ref _droppedFailed);
            SelfLog.WriteLine("journald sink could not encode an entry: {0}", e);
            return;
        }
        switch (result.Status)
        {
            case JournalSocket.Status.Sent:
            case JournalSocket.Status.SentViaMemfd:
                Interlocked.Increment(ref _sent);
                if (result.Status == JournalSocket.Status.SentViaMemfd) Interlocked.Increment(ref _sentViaMemfd);
                if (_unavailable) Recovered();
                break;
            case JournalSocket.Status.TooLarge:
                Drop(ref _droppedTooLarge);
                SelfLog.WriteLine("journald sink dropped an entry too large for the journal: {0}", result.Error);
                break;
            default:
                BecameUnavailable(result.Error);
                Fallback(logEvent);
                break;
        }
    }

    private void Fallback(LogEvent logEvent)
    {
        if (_options.Fallback is null)
        {
            Drop(ref _droppedUnavailable);
            return;
        }
        try
        {
            _options.Fallback.Emit(logEvent);
            Interlocked.Increment(ref _fellBack);
        }
        catch (Exception e)
        {
            Drop(ref _droppedFailed);
            SelfLog.WriteLine("journald sink's fallback failed: {0}", e);
        }
    }

    private void BecameUnavailable(string? error)
    {
        _retryAt = Now + (long)_options.RetryInterval.TotalMilliseconds;
        if (_unavailable) return;
        _unavailable = true;
        _unavailableSince = Now;
        _fellBackAtOutage = FellBack;
        _droppedAtOutage = Dropped;
        var instead = _options.Fallback is null ? "log entries are dropped until it is back" : "logging to the console instead";
        Say($"journal socket {_options.SocketPath} unavailable ({error}); {instead}");
    }

    private void Recovered()
    {
        _unavailable = false;
        var seconds = (Now - _unavailableSince) / 1000.0;
        var message = $"journal socket {_options.SocketPath} is back after {seconds:0.#} s; meanwhile "
            + $"{FellBack - _fellBackAtOutage} log entries went to the console and {Dropped - _droppedAtOutage} were dropped";
        Say(message);
        SendOwnEntry(LogEventLevel.Warning, message);
    }

    private bool DropReportDue() =>
        !_unavailable && Dropped > _reportedDrops && Now - _lastDropReport >= (long)_options.DropReportInterval.TotalMilliseconds;

    private void ReportDrops()
    {
        var total = Dropped;
        var message = $"{total - _reportedDrops} log entries were dropped ({total} since start: queue full "
            + $"{Interlocked.Read(ref _droppedQueueFull)}, too large {Interlocked.Read(ref _droppedTooLarge)}, "
            + $"journal unavailable {Interlocked.Read(ref _droppedUnavailable)}, failed {Interlocked.Read(ref _droppedFailed)})";
        _lastDropReport = Now;
        if (SendOwnEntry(LogEventLevel.Warning, message)) _reportedDrops = total;
    }

    private bool SendOwnEntry(LogEventLevel level, string message)
    {
        var status = _socket.Send(_encoder.Encode(level, message).Span).Status;
        return status is JournalSocket.Status.Sent or JournalSocket.Status.SentViaMemfd;
    }

    private void Say(string line)
    {
        try { _diagnostics.WriteLine($"{_options.Identifier}: {line}"); }
        catch (Exception e) { SelfLog.WriteLine("journald sink could not write a diagnostic: {0}", e); }
    }

    private static long Now => Environment.TickCount64;

    /// <summary>Sends what is queued (waiting at most DisposeTimeout), then closes the socket.
    /// Drops not yet reported are said on the diagnostics writer.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _queue.Writer.TryComplete();
        var drained = _sender.Wait(_options.DisposeTimeout);
        _socket.Dispose();
        if (!drained) Say($"journal sink closed with entries still queued: the journal at {_options.SocketPath} did not take them in time");
        else if (Dropped > _reportedDrops) Say($"{Dropped - _reportedDrops} log entries were dropped and not reported in the journal");
    }

    private readonly record struct Item(LogEvent? Event, TaskCompletionSource? Flushed);
}

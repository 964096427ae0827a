using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Serilog.Events;
using Serilog.Parsing;

namespace Datacrumbs.Daemon.Journal;

/// <summary>
/// Encodes one Serilog event in the journal's native protocol: one <c>FIELD=value\n</c> line per
/// field, or, for a value containing a newline, the binary-safe form <c>FIELD\n</c>, the value's
/// length as 64-bit little endian, the value, <c>\n</c>. Values are UTF-8 and otherwise sent as
/// they are (NUL bytes and <c>=</c> included: the journal stores bytes). Fields:
/// MESSAGE (the template rendered with string values unquoted), PRIORITY (syslog level),
/// SYSLOG_IDENTIFIER, EXCEPTION (the exception's full text, when there is one) and every property
/// named by <see cref="JournalFieldNames"/>. Not thread-safe: one encoder per sender.
/// </summary>
public sealed class JournalEntryEncoder(string identifier)
{
    /// <summary>A buffer grown beyond this by a huge entry is let go rather than kept for good.</summary>
    private const int RetainedBufferBytes = 1024 * 1024;

    private ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly StringWriter _text = new(CultureInfo.InvariantCulture);
    private readonly byte[] _identifier = Encoding.UTF8.GetBytes(identifier);

    /// <summary>Encodes the event; the bytes stay valid until the next call.</summary>
    public ReadOnlyMemory<byte> Encode(LogEvent logEvent)
    {
        Reset();
        WriteField("MESSAGE", RenderMessage(logEvent));
        WriteField("PRIORITY"u8, [(byte)('0' + Priority(logEvent.Level))]);
        WriteField("SYSLOG_IDENTIFIER"u8, _identifier);
        if (logEvent.Exception is not null) WriteField("EXCEPTION", logEvent.Exception.ToString());
        foreach (var (name, value) in logEvent.Properties)
            WriteField(JournalFieldNames.ForProperty(name), Render(value));
        return _buffer.WrittenMemory;
    }

    /// <summary>An entry of the sink's own (its drop reports).</summary>
    public ReadOnlyMemory<byte> Encode(LogEventLevel level, string message)
    {
        Reset();
        WriteField("MESSAGE", message);
        WriteField("PRIORITY"u8, [(byte)('0' + Priority(level))]);
        WriteField("SYSLOG_IDENTIFIER"u8, _identifier);
        return _buffer.WrittenMemory;
    }

    private void Reset()
    {
        if (_buffer.Capacity > RetainedBufferBytes) _buffer = new(4096);
        else _buffer.ResetWrittenCount();
    }

    /// <summary>Serilog level -> syslog priority (journalctl -p): Fatal 2 crit, Error 3 err,
    /// Warning 4 warning, Information 6 info, Debug and Verbose 7 debug.</summary>
    public static int Priority(LogEventLevel level) => level switch
    {
        LogEventLevel.Fatal => 2,
        LogEventLevel.Error => 3,
        LogEventLevel.Warning => 4,
        LogEventLevel.Information => 6,
        _ => 7,
    };

    /// <summary>A property value as text: scalars as they are (strings without quotes, numbers and
    /// dates invariant), structures and sequences in Serilog's own notation.</summary>
    public static string Render(LogEventPropertyValue value) => value switch
    {
        ScalarValue { Value: null } => "",
        ScalarValue { Value: string s } => s,
        ScalarValue { Value: IFormattable f } => f.ToString(null, CultureInfo.InvariantCulture),
        ScalarValue { Value: var v } => v.ToString() ?? "",
        _ => value.ToString(null, CultureInfo.InvariantCulture),
    };

    private string RenderMessage(LogEvent logEvent)
    {
        var sb = _text.GetStringBuilder();
        sb.Clear();
        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is PropertyToken p && p.Format is null && p.Alignment is null
                && logEvent.Properties.TryGetValue(p.PropertyName, out var value) && value is ScalarValue { Value: string s })
                sb.Append(s);
            else
                token.Render(logEvent.Properties, _text, CultureInfo.InvariantCulture);
        }
        return sb.ToString();
    }

    private void WriteField(string name, string value)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(name.Length + value.Length));
        try
        {
            var n = Encoding.UTF8.GetBytes(name, bytes);
            var v = Encoding.UTF8.GetBytes(value, bytes.AsSpan(n));
            WriteField(bytes.AsSpan(0, n), bytes.AsSpan(n, v));
        }
        finally { ArrayPool<byte>.Shared.Return(bytes); }
    }

    private void WriteField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var span = _buffer.GetSpan(name.Length + value.Length + 10);
        name.CopyTo(span);
        var rest = span[name.Length..];
        if (value.IndexOf((byte)'\n') < 0)
        {
            rest[0] = (byte)'=';
            value.CopyTo(rest[1..]);
            rest[1 + value.Length] = (byte)'\n';
            _buffer.Advance(name.Length + value.Length + 2);
        }
        else
        {
            rest[0] = (byte)'\n';
            BinaryPrimitives.WriteUInt64LittleEndian(rest[1..], (ulong)value.Length);
            value.CopyTo(rest[9..]);
            rest[9 + value.Length] = (byte)'\n';
            _buffer.Advance(name.Length + value.Length + 10);
        }
    }
}

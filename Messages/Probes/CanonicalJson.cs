using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Datacrumbs.Messages.Probes;

/// <summary>
/// The canonical serialization the probe signature is computed over (docs/probes.rst, "The canonical form"):
/// <list type="bullet">
/// <item>UTF-8 without BOM, no whitespace outside strings.</item>
/// <item>Object members sorted by name, comparing names as UTF-16 code units (ordinal); a duplicate name is an error.</item>
/// <item>Strings: only <c>"</c>, <c>\</c> and U+0000..U+001F are escaped; <c>\b \t \n \f \r</c> in short form, the
///   other control characters as <c>\u00xx</c> with lowercase hex; everything else as literal UTF-8.
///   Unpaired surrogates are an error.</item>
/// <item>Numbers: integers only (<c>-?(0|[1-9][0-9]*)</c>, no <c>-0</c>, within signed or unsigned 64 bits),
///   written in exactly that form. Fractions and exponents are an error.</item>
/// <item><c>true</c>, <c>false</c>, <c>null</c> as themselves; arrays in their order.</item>
/// </list>
/// The same data always gives the same bytes, whatever key order, whitespace or escapes the input used.
/// </summary>
public static class CanonicalJson
{
    /// <summary>Deepest nesting a probes document may have; DataCrumbs' probe list needs 4.</summary>
    public const int MaxDepth = 32;

    public static JsonDocumentOptions DocumentOptions { get; } = new() { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false };

    /// <summary>The canonical bytes of <paramref name="element"/>; throws <see cref="FormatException"/> naming what cannot be canonical.</summary>
    public static byte[] Serialize(JsonElement element, string? skipTopLevelMember = null)
    {
        var output = new ArrayBufferWriter<byte>(1024);
        Write(output, element, skipTopLevelMember, "$");
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Parses <paramref name="json"/> and returns its canonical bytes.</summary>
    public static byte[] Canonicalize(ReadOnlySpan<byte> json)
    {
        using var doc = JsonDocument.Parse(json.ToArray(), DocumentOptions);
        return Serialize(doc.RootElement);
    }

    private static void Write(ArrayBufferWriter<byte> output, JsonElement element, string? skip, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(output, element, skip, path);
                break;
            case JsonValueKind.Array:
                Put(output, "["u8);
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (index > 0) Put(output, ","u8);
                    Write(output, item, null, $"{path}[{index}]");
                    index++;
                }
                Put(output, "]"u8);
                break;
            case JsonValueKind.String:
                WriteString(output, ReadString(element, path), path);
                break;
            case JsonValueKind.Number:
                WriteInteger(output, element.GetRawText(), path);
                break;
            case JsonValueKind.True: Put(output, "true"u8); break;
            case JsonValueKind.False: Put(output, "false"u8); break;
            case JsonValueKind.Null: Put(output, "null"u8); break;
            default: throw new FormatException($"{path}: unexpected JSON value kind {element.ValueKind}");
        }
    }

    private static void WriteObject(ArrayBufferWriter<byte> output, JsonElement element, string? skip, string path)
    {
        var members = new List<(string Name, JsonElement Value)>();
        foreach (var property in element.EnumerateObject())
        {
            var name = ReadName(property, path);
            if (name == skip) continue;
            members.Add((name, property.Value));
        }
        members.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        Put(output, "{"u8);
        for (var i = 0; i < members.Count; i++)
        {
            if (i > 0)
            {
                if (members[i].Name == members[i - 1].Name)
                    throw new FormatException($"{path}: member \"{Printable(members[i].Name)}\" appears more than once");
                Put(output, ","u8);
            }
            WriteString(output, members[i].Name, path);
            Put(output, ":"u8);
            Write(output, members[i].Value, null, $"{path}.{Printable(members[i].Name)}");
        }
        Put(output, "}"u8);
    }

    private static string ReadName(JsonProperty property, string path)
    {
        try { return property.Name; }
        catch (InvalidOperationException e) { throw new FormatException($"{path}: a member name is not valid UTF-16 text", e); }
    }

    private static string ReadString(JsonElement element, string path)
    {
        try { return element.GetString()!; }
        catch (InvalidOperationException e) { throw new FormatException($"{path}: string is not valid UTF-16 text", e); }
    }

    private static void WriteString(ArrayBufferWriter<byte> output, string text, string path)
    {
        Put(output, "\""u8);
        Span<byte> utf8 = stackalloc byte[4];
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
                throw new FormatException($"{path}: string holds an unpaired surrogate");
            rest = rest[consumed..];
            switch (rune.Value)
            {
                case '"': Put(output, "\\\""u8); break;
                case '\\': Put(output, "\\\\"u8); break;
                case '\b': Put(output, "\\b"u8); break;
                case '\t': Put(output, "\\t"u8); break;
                case '\n': Put(output, "\\n"u8); break;
                case '\f': Put(output, "\\f"u8); break;
                case '\r': Put(output, "\\r"u8); break;
                case < 0x20:
                    Put(output, Encoding.ASCII.GetBytes($"\\u{rune.Value:x4}"));
                    break;
                default:
                    var n = rune.EncodeToUtf8(utf8);
                    Put(output, utf8[..n]);
                    break;
            }
        }
        Put(output, "\""u8);
    }

    private static void WriteInteger(ArrayBufferWriter<byte> output, string raw, string path)
    {
        if (!IsCanonicalInteger(raw))
            throw new FormatException($"{path}: number {Printable(raw)} is not allowed; the canonical form holds only integers within 64 bits (no fraction, exponent or -0)");
        Put(output, Encoding.ASCII.GetBytes(raw));
    }

    private static bool IsCanonicalInteger(string raw)
    {
        var digits = raw.StartsWith('-') ? raw.AsSpan(1) : raw.AsSpan();
        if (digits.IsEmpty || digits.Length > 20) return false;
        foreach (var c in digits) if (c is < '0' or > '9') return false;
        if (digits.Length > 1 && digits[0] == '0') return false;
        if (raw == "-0") return false;
        return long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
               || ulong.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out _);
    }

    private static void Put(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> bytes) => output.Write(bytes);

    private static string Printable(string text) => Jobs.JobId.Printable(text);
}

using System.Buffers;
using System.Text;

namespace Datacrumbs.Messages.Probes.JsonC;

/// <summary>
/// json-c 0.16's <c>json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN)</c>, byte for byte: no
/// whitespace, members in their order, <c>/</c> written as <c>\/</c>, <c>" \ \b \t \n \f \r</c> as short
/// escapes, other control characters as <c>\u00xx</c> (lowercase hex), everything else (DEL and all
/// non-ASCII, U+2028 included) as raw UTF-8, doubles as their original text.
/// Proven against libjson-c itself by Specs/Probes/JsonCPlainSpec.
/// </summary>
public static class JsonCPlain
{
    public static byte[] Serialize(JsonCValue value)
    {
        var output = new ArrayBufferWriter<byte>(1024);
        Write(output, value);
        return output.WrittenSpan.ToArray();
    }

    public static void Write(IBufferWriter<byte> output, JsonCValue value)
    {
        switch (value)
        {
            case JsonCObject obj:
                output.Write("{"u8);
                for (var i = 0; i < obj.Members.Count; i++)
                {
                    if (i > 0) output.Write(","u8);
                    WriteString(output, obj.Members[i].Key);
                    output.Write(":"u8);
                    Write(output, obj.Members[i].Value);
                }
                output.Write("}"u8);
                break;
            case JsonCArray array:
                output.Write("["u8);
                for (var i = 0; i < array.Items.Count; i++)
                {
                    if (i > 0) output.Write(","u8);
                    Write(output, array.Items[i]);
                }
                output.Write("]"u8);
                break;
            case JsonCString s: WriteString(output, s.Value); break;
            case JsonCInteger n: output.Write(Encoding.ASCII.GetBytes(n.ToString())); break;
            case JsonCDouble d: output.Write(Encoding.ASCII.GetBytes(d.Text)); break;
            case JsonCLiteral l: output.Write(Encoding.ASCII.GetBytes(l.Text)); break;
            default: throw new ArgumentException($"unknown JSON value {value.GetType().Name}", nameof(value));
        }
    }

    public static void WriteString(IBufferWriter<byte> output, string text)
    {
        output.Write("\""u8);
        var utf8 = Encoding.UTF8.GetBytes(text);
        var start = 0;
        for (var i = 0; i < utf8.Length; i++)
        {
            var c = utf8[i];
            ReadOnlySpan<byte> escape = c switch
            {
                (byte)'"' => "\\\""u8,
                (byte)'\\' => "\\\\"u8,
                (byte)'/' => "\\/"u8,
                (byte)'\b' => "\\b"u8,
                (byte)'\t' => "\\t"u8,
                (byte)'\n' => "\\n"u8,
                (byte)'\f' => "\\f"u8,
                (byte)'\r' => "\\r"u8,
                _ => default,
            };
            if (escape.IsEmpty && c >= 0x20) continue;
            output.Write(utf8.AsSpan(start, i - start));
            if (!escape.IsEmpty) output.Write(escape);
            else output.Write(Encoding.ASCII.GetBytes($"\\u00{c:x2}"));
            start = i + 1;
        }
        output.Write(utf8.AsSpan(start));
        output.Write("\""u8);
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Datacrumbs.Messages.Probes.JsonC;

/// <summary>
/// Parses strict JSON into the tree json-c 0.16's <c>json_tokener_parse</c> builds from it (see
/// <see cref="JsonCValue"/>). Input json-c would take but strict JSON forbids (comments, single quotes,
/// NaN, text after the root, invalid UTF-8, lone surrogates) is refused here, and so are member names
/// holding U+0000 (json-c cuts them short): refusing is safe, while guessing json-c's reading is not. Nesting is bounded like json-c's default tokener.
/// </summary>
public static class JsonCReader
{
    /// <summary>json-c's JSON_TOKENER_DEFAULT_DEPTH: the runtime refuses deeper documents, so we do too.</summary>
    public const int MaxDepth = 32;

    /// <summary>
    /// Throws <see cref="FormatException"/> saying where the text is not JSON we can read like json-c, and
    /// <see cref="JsonCValueLimitException"/> (before building more of the tree) once the text holds more than
    /// <paramref name="maxValues"/> values: the tree costs tens of bytes a value, the text as little as three.
    /// </summary>
    public static JsonCValue Parse(ReadOnlySpan<byte> json, int maxValues = int.MaxValue, int maxDepth = MaxDepth)
    {
        if (json.StartsWith("\xEF\xBB\xBF"u8)) throw new FormatException("starts with a byte order mark");
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth, CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (!reader.Read()) throw new FormatException("no JSON value");
            var budget = new ValueBudget(maxValues);
            var value = ReadValue(ref reader, budget);
            if (reader.Read()) throw new FormatException("text after the JSON value");
            return value;
        }
        catch (JsonException e)
        {
            throw new FormatException(e.Message, e);
        }
        catch (InvalidOperationException e)
        {
            throw new FormatException($"a string is not valid Unicode text ({e.Message})", e);
        }
    }

    private sealed class ValueBudget(int max)
    {
        private int _count;

        public void Take()
        {
            if (++_count > max) throw new JsonCValueLimitException(max);
        }
    }

    private static JsonCValue ReadValue(ref Utf8JsonReader reader, ValueBudget budget)
    {
        budget.Take();
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var obj = new JsonCObject();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var name = reader.GetString()!;
                    // json-c keeps member names as C strings: it would cut this one short at the NUL.
                    if (name.Contains('\0')) throw new FormatException("a member name contains \\u0000");
                    reader.Read();
                    obj.Set(name, ReadValue(ref reader, budget));
                }
                return obj;
            case JsonTokenType.StartArray:
                var items = new List<JsonCValue>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) items.Add(ReadValue(ref reader, budget));
                return new JsonCArray(items);
            case JsonTokenType.String:
                return new JsonCString(reader.GetString()!);
            case JsonTokenType.Number:
                return Number(Encoding.ASCII.GetString(reader.ValueSpan));
            case JsonTokenType.True: return JsonCLiteral.True;
            case JsonTokenType.False: return JsonCLiteral.False;
            case JsonTokenType.Null: return JsonCLiteral.Null;
            default: throw new FormatException($"unexpected {reader.TokenType}");
        }
    }

    /// <summary>The depth of a tree: 1 for a scalar or an empty container, one more for each level of containers.</summary>
    public static int Depth(JsonCValue value) => value switch
    {
        JsonCObject o => 1 + o.Members.Select(m => Depth(m.Value)).DefaultIfEmpty(0).Max(),
        JsonCArray a => 1 + a.Items.Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 1,
    };

    /// <summary>json-c: a fraction or exponent makes a double that keeps its text; otherwise int64 (clamped like strtoll) for a minus sign, else uint64 (clamped like strtoull).</summary>
    private static JsonCValue Number(string text)
    {
        if (text.AsSpan().IndexOfAny('.', 'e', 'E') >= 0) return new JsonCDouble(text);
        if (text[0] == '-')
            return new JsonCInteger(long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var negative) ? negative : long.MinValue);
        return new JsonCInteger(ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var positive) ? positive : ulong.MaxValue);
    }
}

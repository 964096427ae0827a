namespace Datacrumbs.Messages.Probes.JsonC;

/// <summary>
/// A JSON value as json-c 0.16 holds it after <c>json_tokener_parse</c>: objects keep their members in
/// file order (a repeated name keeps the last value at the first name's place), integers are int64 or
/// uint64 (clamped at the ends, as strtoll/strtoull do), doubles keep the text they were written with.
/// The DataCrumbs runtime signs json-c's re-serialization of this tree, so we must hold the same tree.
/// </summary>
public abstract class JsonCValue
{
    private protected JsonCValue() { }
}

public sealed class JsonCObject : JsonCValue
{
    private readonly List<KeyValuePair<string, JsonCValue>> _members = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    public IReadOnlyList<KeyValuePair<string, JsonCValue>> Members => _members;

    /// <summary>json_object_object_add: a new name goes last; an existing one gets the new value in its old place.</summary>
    public void Set(string name, JsonCValue value)
    {
        if (_index.TryGetValue(name, out var at)) _members[at] = new(name, value);
        else
        {
            _index[name] = _members.Count;
            _members.Add(new(name, value));
        }
    }

    public JsonCValue? this[string name] => _index.TryGetValue(name, out var at) ? _members[at].Value : null;
}

public sealed class JsonCArray(List<JsonCValue> items) : JsonCValue
{
    public IReadOnlyList<JsonCValue> Items { get; } = items;
}

public sealed class JsonCString(string value) : JsonCValue
{
    public string Value { get; } = value;
}

/// <summary>An integer as json-c stores it: int64, or uint64 above int64's range.</summary>
public sealed class JsonCInteger : JsonCValue
{
    private readonly long _signed;
    private readonly ulong _unsigned;

    public JsonCInteger(long value) => _signed = value;
    public JsonCInteger(ulong value)
    {
        if (value <= long.MaxValue) _signed = (long)value;
        else (_unsigned, IsUnsigned) = (value, true);
    }

    /// <summary>Above int64: json-c's uint64 case.</summary>
    public bool IsUnsigned { get; }

    /// <summary>The value as int64, or null for a uint64 beyond it.</summary>
    public long? AsInt64 => IsUnsigned ? null : _signed;

    public override string ToString() =>
        IsUnsigned ? _unsigned.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : _signed.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A number with a fraction or exponent: json-c writes it back with exactly the text it was read from.</summary>
public sealed class JsonCDouble(string text) : JsonCValue
{
    public string Text { get; } = text;
}

/// <summary><c>true</c>, <c>false</c> or <c>null</c>.</summary>
public sealed class JsonCLiteral : JsonCValue
{
    public static readonly JsonCLiteral True = new("true"), False = new("false"), Null = new("null");
    private JsonCLiteral(string text) => Text = text;
    public string Text { get; }
}

namespace Datacrumbs.Messages.Probes.JsonC;

/// <summary>A JSON text holds more values than the reader was allowed to build (see <see cref="JsonCReader.Parse"/>).</summary>
public sealed class JsonCValueLimitException(int limit)
    : FormatException($"more than {limit} JSON values")
{
    public int Limit { get; } = limit;
}

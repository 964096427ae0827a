namespace Datacrumbs.Messages.Wire;

/// <summary>A frame that breaks the protocol: too large, truncated, or not the JSON we expect.</summary>
public sealed class ProtocolException(string message, Exception? inner = null) : Exception(message, inner);

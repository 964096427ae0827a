using System.Text;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Probes.JsonC;

namespace Datacrumbs.Signer;

/// <summary>
/// The replies of upstream's probe manager protocol (JSON-RPC 2.0): <c>{"jsonrpc":"2.0","id":...,
/// "result":{"document":"&lt;signed document, json-c PLAIN&gt;"}}</c>, or <c>"error":{"code":..,"message":..}</c>.
/// Written as json-c PLAIN, as the manager writes them. The codes are JSON-RPC's own where one fits,
/// server-defined (-32000..-32099) for the rest; upstream's client shows only the message.
/// </summary>
public static class JsonRpcReplies
{
    /// <summary>The request is not JSON.</summary>
    public const int ParseError = -32700;
    /// <summary>Not a JSON-RPC 2.0 request, too large, incomplete in time, or its munge credential is missing, rejected or for another payload.</summary>
    public const int InvalidRequest = -32600;
    /// <summary>A method other than sign_probe_payload.</summary>
    public const int MethodNotFound = -32601;
    /// <summary>params.signing_payload is missing, not JSON, or not a probe document the signer can sign.</summary>
    public const int InvalidParams = -32602;
    /// <summary>A failure of the signer's own (munged unreachable, a bug): nothing the caller can fix.</summary>
    public const int InternalError = -32603;
    /// <summary>Too many clients at once; try again in a moment.</summary>
    public const int Busy = -32000;
    /// <summary>The site policy does not allow these probes for this user; the message names the rule.</summary>
    public const int RefusedByPolicy = -32001;

    public static byte[] Result(JsonCValue? id, byte[] documentJson)
    {
        var result = new JsonCObject();
        result.Set("document", new JsonCString(Encoding.UTF8.GetString(documentJson)));
        return Envelope(id, "result", result);
    }

    public static byte[] Error(JsonCValue? id, int code, string message)
    {
        var error = new JsonCObject();
        error.Set("code", new JsonCInteger(code));
        error.Set("message", new JsonCString(message));
        return Envelope(id, "error", error);
    }

    /// <summary>The code for a decision that is not a signature.</summary>
    public static int CodeOf(SignStatus status) => status switch
    {
        SignStatus.BadRequest => InvalidParams,
        SignStatus.Refused => RefusedByPolicy,
        _ => InternalError,
    };

    /// <summary>
    /// The id echoes the request's when it is one JSON-RPC allows (string, number, null); otherwise, and
    /// when the request could not be read, it is null, as JSON-RPC 2.0 says.
    /// </summary>
    private static byte[] Envelope(JsonCValue? id, string member, JsonCObject body)
    {
        var root = new JsonCObject();
        root.Set("jsonrpc", new JsonCString("2.0"));
        root.Set("id", id is JsonCString or JsonCInteger or JsonCDouble ? id : JsonCLiteral.Null);
        root.Set(member, body);
        return JsonCPlain.Serialize(root);
    }
}

using System.Security.Cryptography;
using System.Text;

namespace Datacrumbs.Messages.Probes;

/// <summary>
/// The site's probe-signing secrets, by key id. The first key of the file is the current one (the
/// signer signs with it); the others still verify, which is how keys are rotated (docs/probes.rst).
/// The secrets never leave this class: not in <see cref="ToString"/>, not in any exception message.
/// </summary>
public sealed class ProbeKeyRing
{
    /// <summary>HMAC-SHA256 keys shorter than the hash are weak; <c>openssl rand -base64 32</c> gives exactly this.</summary>
    public const int MinSecretBytes = 32;
    public const int MaxKeyFileBytes = 64 * 1024;

    private readonly Dictionary<string, byte[]> _secrets;

    private ProbeKeyRing(string current, Dictionary<string, byte[]> secrets)
    {
        CurrentKeyId = current;
        _secrets = secrets;
    }

    public string CurrentKeyId { get; }
    public IReadOnlyCollection<string> KeyIds => _secrets.Keys;
    public bool Contains(string keyId) => _secrets.ContainsKey(keyId);

    /// <summary>
    /// Parses key file text: one key a line, <c>KEY-ID BASE64-SECRET</c>; <c>#</c> starts a comment line.
    /// Key ids are 1 to 64 of <c>A-Z a-z 0-9 . _ -</c>. <paramref name="source"/> names the file in messages.
    /// </summary>
    public static ProbeKeyRing Parse(string text, string source)
    {
        var secrets = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        string? current = null;
        var lineNo = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNo++;
            var line = rawLine.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
                throw new InvalidDataException($"{source} line {lineNo}: expected 'KEY-ID BASE64-SECRET'");
            var id = parts[0];
            if (!IsValidKeyId(id))
                throw new InvalidDataException($"{source} line {lineNo}: key id must be 1 to 64 of A-Z a-z 0-9 . _ -");
            byte[] secret;
            try { secret = Convert.FromBase64String(parts[1]); }
            catch (FormatException) { throw new InvalidDataException($"{source} line {lineNo}: the secret of key '{id}' is not valid base64"); }
            if (secret.Length < MinSecretBytes)
                throw new InvalidDataException($"{source} line {lineNo}: the secret of key '{id}' is {secret.Length} bytes; at least {MinSecretBytes} are required");
            if (!secrets.TryAdd(id, secret))
                throw new InvalidDataException($"{source} line {lineNo}: key id '{id}' appears twice");
            current ??= id;
        }
        if (current is null) throw new InvalidDataException($"{source} holds no key");
        return new ProbeKeyRing(current, secrets);
    }

    /// <summary>
    /// Loads a key file after checking it is a regular file, owned by root (or by one of
    /// <paramref name="allowedOwners"/>), readable by its owner only (0600 or 0400). The check is made
    /// on the opened file, so nothing can be swapped in between.
    /// </summary>
    public static ProbeKeyRing LoadFile(string path, params uint[] allowedOwners)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        KeyFileSecurity.EnsurePrivate(handle, path, allowedOwners.Length == 0 ? [0u] : allowedOwners);
        var length = RandomAccess.GetLength(handle);
        if (length > MaxKeyFileBytes) throw new InvalidDataException($"key file {path} is {length} bytes; a key file is at most {MaxKeyFileBytes}");
        var bytes = new byte[length];
        var read = RandomAccess.Read(handle, bytes, 0);
        try { return Parse(Encoding.UTF8.GetString(bytes, 0, read), path); }
        finally { CryptographicOperations.ZeroMemory(bytes); }
    }

    public static bool IsValidKeyId(string id) =>
        id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>HMAC-SHA256 of <paramref name="data"/> with the named key; false when the key id is unknown.</summary>
    internal bool TryMac(string keyId, ReadOnlySpan<byte> data, out byte[] mac)
    {
        if (!_secrets.TryGetValue(keyId, out var secret)) { mac = []; return false; }
        mac = HMACSHA256.HashData(secret, data);
        return true;
    }

    public override string ToString() =>
        $"probe keys: {string.Join(", ", _secrets.Keys.Select(k => k == CurrentKeyId ? k + " (current)" : k))}";
}

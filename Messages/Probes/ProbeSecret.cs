using System.Security.Cryptography;

namespace Datacrumbs.Messages.Probes;

/// <summary>
/// The site's probe secret: the DataCrumbs runtime's own file (<see cref="RuntimeDefaultPath"/>), 64 hex
/// characters and nothing else, root-owned, mode 0400. Like the runtime we use those 64 characters
/// themselves as the HMAC-SHA256 key (not the 32 bytes they spell). One key: the runtime knows no key
/// ids, so rotating means replacing this file on the signer and on every node at once (docs/probes.rst).
/// The secret never leaves this class: not in <see cref="ToString"/>, not in any exception message.
/// </summary>
public sealed class ProbeSecret
{
    /// <summary>
    /// Where the runtime reads it, built with CMake's default prefix (/usr/local):
    /// <c>${CMAKE_INSTALL_PREFIX}/share/datacrumbs/data/.datacrumbs-probe-secret</c>. A runtime built with
    /// another prefix reads it under that prefix: set <c>Probes:SecretFile</c> (daemon),
    /// <c>secret_file</c> (signer) or <c>--secret-file</c> (datacrumbsctl) to match.
    /// </summary>
    public const string RuntimeDefaultPath = "/usr/local/share/datacrumbs/data/.datacrumbs-probe-secret";
    public const int HexLength = 64;

    private readonly byte[] _key;

    private ProbeSecret(byte[] key) => _key = key;

    /// <summary>Checks the text is exactly what the runtime generates (64 hex characters, no newline) and keeps it as the key.</summary>
    public static ProbeSecret Parse(ReadOnlySpan<byte> content, string source)
    {
        if (content.Length == HexLength + 1 && content[^1] == (byte)'\n' || content.Length == HexLength + 2 && content[^2] == (byte)'\r')
            throw new InvalidDataException($"{source} ends with a newline; the DataCrumbs runtime would make the newline part of the key. Rewrite it without one: printf %s \"$(head -c 64 {source})\" > {source}.new (then chmod 0400 and move it over)");
        if (content.Length != HexLength)
            throw new InvalidDataException($"{source} holds {content.Length} bytes; the probe secret is exactly {HexLength} hex characters with no newline (create one with: openssl rand -hex 32 | tr -d '\\n' > FILE)");
        foreach (var b in content)
            if (!char.IsAsciiHexDigit((char)b))
                throw new InvalidDataException($"{source} holds a character that is not a hex digit; the probe secret is exactly {HexLength} hex characters");
        return new ProbeSecret(content.ToArray());
    }

    /// <summary>
    /// Loads the secret after checking it is a regular file, owned by root (or one of
    /// <paramref name="allowedOwners"/>), readable by its owner only (0400 or 0600); the checks are made
    /// on the opened file, so nothing can be swapped in between. A missing file is an error here: unlike
    /// the runtime, we never create one (a node with its own random secret refuses every signed file).
    /// </summary>
    public static ProbeSecret LoadFile(string path, params uint[] allowedOwners)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"the probe secret {path} does not exist; copy the site's secret there from the signer host (root, mode 0400), see docs/probes.rst");
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        KeyFileSecurity.EnsurePrivate(handle, path, allowedOwners.Length == 0 ? [0u] : allowedOwners);
        var length = RandomAccess.GetLength(handle);
        if (length > 1024) throw new InvalidDataException($"{path} is {length} bytes; the probe secret is exactly {HexLength} hex characters");
        var bytes = new byte[length];
        var read = RandomAccess.Read(handle, bytes, 0);
        try { return Parse(bytes.AsSpan(0, read), path); }
        finally { CryptographicOperations.ZeroMemory(bytes); }
    }

    /// <summary>HMAC-SHA256 keyed with the secret's text, as the runtime computes it.</summary>
    public byte[] Mac(ReadOnlySpan<byte> data) => HMACSHA256.HashData(_key, data);

    public override string ToString() => "probe secret (hmac-sha256, one key)";
}

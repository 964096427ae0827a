using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Messages.Jobs;

/// <summary>
/// A job's id, qualified by its scheduler, so a node that runs both never mixes their jobs up.
/// <list type="bullet">
/// <item>Flux: an unsigned 64-bit integer with several text forms. The canonical form, used in
/// unit names, file names and log fields, is f58plain (ASCII 'f' prefix, <c>fELtY71</c>), as
/// flux-core's own flux-run-prolog names units.</item>
/// <item>Slurm: a 32-bit decimal (SLURM_JOB_ID; array tasks have their own). Canonical form
/// <c>s</c> and the decimal digits (<c>s12345</c>). No Flux form starts with 's'.</item>
/// </list>
/// Both canonical forms are letters and digits only: valid systemd instance names as they are.
/// </summary>
public readonly record struct JobId : IComparable<JobId>
{
    private const string F58Digits = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    private const char F58Prefix = '\u0192'; // ƒ, used by Flux in UTF-8 locales
    private const char SlurmPrefix = 's';
    private const int MaxTextLength = 64;    // longer than any valid form; bounds the work on hostile input

    /// <summary>A Flux job id.</summary>
    public JobId(ulong value) => Value = value;

    private JobId(uint value, JobScheduler scheduler)
    {
        Value = value;
        Scheduler = scheduler;
    }

    /// <summary>A Slurm job id (SLURM_JOB_ID).</summary>
    public static JobId Slurm(uint value) => new(value, JobScheduler.Slurm);

    /// <summary>The number the scheduler gave the job (a Slurm id fits in 32 bits).</summary>
    public ulong Value { get; }

    public JobScheduler Scheduler { get; } // default: Flux

    /// <summary>Canonical form: <c>fELtY71</c> (Flux, f58 with the ASCII prefix), <c>s12345</c> (Slurm).</summary>
    public override string ToString() => Scheduler == JobScheduler.Slurm
        ? SlurmPrefix + Value.ToString(CultureInfo.InvariantCulture)
        : Format(JobIdFormat.F58Plain);

    /// <summary>Flux ids first, then Slurm ids; by number within a scheduler.</summary>
    public int CompareTo(JobId other) => Scheduler != other.Scheduler ? Scheduler.CompareTo(other.Scheduler) : Value.CompareTo(other.Value);
    public static bool operator <(JobId left, JobId right) => left.CompareTo(right) < 0;
    public static bool operator <=(JobId left, JobId right) => left.CompareTo(right) <= 0;
    public static bool operator >(JobId left, JobId right) => left.CompareTo(right) > 0;
    public static bool operator >=(JobId left, JobId right) => left.CompareTo(right) >= 0;

    /// <summary>The forms of `flux job id --to=`. A Slurm id has only its decimal form (and its canonical one, <see cref="ToString"/>).</summary>
    public string Format(JobIdFormat format) => Scheduler == JobScheduler.Slurm && format != JobIdFormat.Decimal
        ? throw new FormatException($"{this} is a Slurm job id: it has no {format} form, only its decimal one")
        : FormatFlux(format);

    private string FormatFlux(JobIdFormat format) => format switch
    {
        JobIdFormat.Decimal => Value.ToString(CultureInfo.InvariantCulture),
        JobIdFormat.F58 => F58Prefix + EncodeF58(Value),
        JobIdFormat.F58Plain => "f" + EncodeF58(Value),
        JobIdFormat.Hex => "0x" + Value.ToString("x", CultureInfo.InvariantCulture),
        JobIdFormat.DotHex => DotHex(Value),
        JobIdFormat.Kvs => "job." + DotHex(Value),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown job id format"),
    };

    public static JobId Parse(string text) =>
        TryParse(text, out var id, out var error) ? id : throw new FormatException(error);

    /// <summary>
    /// Accepts Flux's forms: decimal, f58 (prefix 'ƒ' or 'f'), hex (0x...), dothex
    /// (xxxx.xxxx.xxxx.xxxx) and kvs (job.xxxx.xxxx.xxxx.xxxx); and a Slurm id in its canonical
    /// form (s12345). Plain decimal is Flux's. Surrounding whitespace is not accepted.
    /// </summary>
    public static bool TryParse(string? text, out JobId id, [NotNullWhen(false)] out string? error)
    {
        id = default;
        if (string.IsNullOrEmpty(text)) { error = "job id is empty"; return false; }
        if (text.Length > MaxTextLength) { error = $"job id is too long ({text.Length} characters)"; return false; }
        if (text[0] == SlurmPrefix) return TryParseSlurmDigits(text, text.AsSpan(1), out id, out error);

        ulong value;
        bool ok;
        // Dothex before f58, as flux's fluid_parse does: "ffff.0000.0000.0000" starts with 'f'.
        if (text[0] == F58Prefix) ok = TryDecodeF58(text.AsSpan(1), out value);
        else if (text.StartsWith("0x", StringComparison.Ordinal)) ok = TryParseHex(text.AsSpan(2), out value);
        else if (text.StartsWith("job.", StringComparison.Ordinal)) ok = TryParseDotHex(text.AsSpan(4), out value);
        else if (text.Length == 19 && text[4] == '.') ok = TryParseDotHex(text, out value);
        else if (text[0] == 'f') ok = TryDecodeF58(text.AsSpan(1), out value);
        else ok = TryParseDecimal(text, out value);

        if (!ok) { error = $"'{UntrustedText.Printable(text)}' is not a job id (expected decimal, f58 such as ƒLUv or fLUv, 0x hex, or a Slurm id such as s12345)"; return false; }
        id = new JobId(value);
        error = null;
        return true;
    }

    /// <summary>
    /// A Slurm job id as Slurm gives it (SLURM_JOB_ID: decimal, 32 bits) or in its canonical
    /// form (s12345). Never a Flux id.
    /// </summary>
    public static bool TryParseSlurm(string? text, out JobId id, [NotNullWhen(false)] out string? error)
    {
        id = default;
        if (string.IsNullOrEmpty(text)) { error = "Slurm job id is empty"; return false; }
        if (text.Length > MaxTextLength) { error = $"Slurm job id is too long ({text.Length} characters)"; return false; }
        return TryParseSlurmDigits(text, text[0] == SlurmPrefix ? text.AsSpan(1) : text, out id, out error);
    }

    private static bool TryParseSlurmDigits(string text, ReadOnlySpan<char> digits, out JobId id, [NotNullWhen(false)] out string? error)
    {
        id = default;
        if (digits.IsEmpty || digits.ContainsAnyExceptInRange('0', '9'))
        {
            error = $"'{UntrustedText.Printable(text)}' is not a Slurm job id (expected decimal digits, such as 12345 or s12345)";
            return false;
        }
        if (!uint.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            error = $"'{UntrustedText.Printable(text)}' is not a Slurm job id (larger than {uint.MaxValue}, Slurm's largest)";
            return false;
        }
        id = Slurm(value);
        error = null;
        return true;
    }

    private static string EncodeF58(ulong value)
    {
        if (value == 0) return "1";
        Span<char> buffer = stackalloc char[12];
        var i = buffer.Length;
        while (value > 0)
        {
            buffer[--i] = F58Digits[(int)(value % 58)];
            value /= 58;
        }
        return new string(buffer[i..]);
    }

    private static bool TryDecodeF58(ReadOnlySpan<char> digits, out ulong value)
    {
        value = 0;
        if (digits.IsEmpty) return false;
        foreach (var c in digits)
        {
            var d = F58Digits.IndexOf(c);
            if (d < 0) return false;
            // value * 58 + d must fit in 64 bits
            if (value > (ulong.MaxValue - (ulong)d) / 58) return false;
            value = value * 58 + (ulong)d;
        }
        return true;
    }

    private static bool TryParseDecimal(ReadOnlySpan<char> text, out ulong value)
    {
        value = 0;
        foreach (var c in text) if (c is < '0' or > '9') return false;
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryParseHex(ReadOnlySpan<char> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 16) return false;
        foreach (var c in text) if (!char.IsAsciiHexDigit(c)) return false;
        return ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryParseDotHex(ReadOnlySpan<char> text, out ulong value)
    {
        value = 0;
        if (text.Length != 19) return false;
        for (var group = 0; group < 4; group++)
        {
            var part = text.Slice(group * 5, 4);
            if (group < 3 && text[group * 5 + 4] != '.') return false;
            if (!TryParseHex(part, out var word)) return false;
            value = (value << 16) | word;
        }
        return true;
    }

    private static string DotHex(ulong v) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{(v >> 48) & 0xffff:x4}.{(v >> 32) & 0xffff:x4}.{(v >> 16) & 0xffff:x4}.{v & 0xffff:x4}");
}

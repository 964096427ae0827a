using Datacrumbs.Daemon.Systemd;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Text;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Systemd;

public sealed class SystemdEscapeSpec
{
    private static readonly string[] Hostile =
    [
        "a/b", "/leading/slash", ".hidden", "-dash", "x-y", "with space", "tab\there", "new\nline", "back\\slash",
        "$(reboot)", "`id`", "../../etc/passwd", "a@b.service", "x:y_z.w", "%i%n%%", "ünïcödé", "ƒELtY71", "\u0001\u007f",
        "semi;colon", "quote'\"", "*glob?[x]", "emoji🙂", "trailing.", "..", "fELtY71",
    ];

    [Fact]
    public async Task Instance_escaping_matches_systemd_escape_for_hostile_and_random_strings()
    {
        var random = new Random(20250101);
        const string alphabet = "abcXYZ019/-_.:\\ \t\n@%$'\"*?ƒü🙂\u0001";
        var generated = Enumerable.Range(0, 200).Select(_ =>
            new string(Enumerable.Range(0, random.Next(1, 12)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray()));
        // Surrogate halves would not survive as arguments; keep whole code points only.
        var inputs = Hostile.Concat(generated).Where(s => !HasLoneSurrogate(s)).ToArray();

        // systemd-escape prints its arguments' escapes separated by spaces; escapes contain none.
        var result = (await Run.CommandAsync("systemd-escape", ["--", .. inputs])).EnsureSuccess("systemd-escape");
        var expected = result.Stdout.TrimEnd('\n').Split(' ');

        Assert.Equal(inputs.Length, expected.Length);
        for (var i = 0; i < inputs.Length; i++)
            Assert.True(expected[i] == SystemdEscape.Instance(inputs[i]),
                $"'{UntrustedText.Printable(inputs[i])}': systemd-escape gives {expected[i]}, ours {SystemdEscape.Instance(inputs[i])}");
    }

    [Fact]
    public void Canonical_job_ids_need_no_escaping()
    {
        var random = new Random(7);
        foreach (var value in Enumerable.Range(0, 1000).Select(_ => (ulong)random.NextInt64()).Append(0UL).Append(ulong.MaxValue))
        {
            var id = new JobId(value).ToString();
            Assert.Equal(id, SystemdEscape.Instance(id));
        }
    }

    [Fact]
    public void Empty_and_NUL_instances_are_refused()
    {
        Assert.ThrowsAny<ArgumentException>(() => SystemdEscape.Instance(""));
        Assert.ThrowsAny<ArgumentException>(() => SystemdEscape.Instance("a\0b"));
    }

    private static bool HasLoneSurrogate(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(s[i])) return true;
        }
        return false;
    }
}

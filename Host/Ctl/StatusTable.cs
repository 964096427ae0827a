using System.Globalization;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Ctl;

/// <summary>`datacrumbsctl status` for people: one line a job, aligned.</summary>
internal static class StatusTable
{
    public static void Print(IReadOnlyList<JobStatus> jobs, DateTimeOffset now)
    {
        if (jobs.Count == 0) { Console.WriteLine("no jobs"); return; }
        Console.WriteLine($"{"JOB",-14} {"USER",-12} {"STATE",-14} {"SINCE",-9} {"READY AFTER",11}  {"UNIT",-28} ERROR");
        foreach (var j in jobs)
        {
            var ready = j.ReadyAfterMs is { } ms ? string.Create(CultureInfo.InvariantCulture, $"{ms:0.0} ms") : "-";
            Console.WriteLine($"{j.Job,-14} {Shorten(j.User, 12),-12} {j.State,-14} {Ago(now - j.Since),-9} {ready,11}  {j.Unit,-28} {j.LastError}");
        }
    }

    private static string Ago(TimeSpan t) =>
        t.TotalSeconds < 60 ? $"{(int)t.TotalSeconds}s ago"
        : t.TotalMinutes < 60 ? $"{(int)t.TotalMinutes}m ago"
        : t.TotalHours < 48 ? $"{(int)t.TotalHours}h ago"
        : $"{(int)t.TotalDays}d ago";

    private static string Shorten(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "~";
}

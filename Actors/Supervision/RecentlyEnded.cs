using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Supervision;

/// <summary>
/// The final answers of the last N ended jobs, oldest forgotten first, so that a late duplicate
/// prolog or epilog gets a consistent answer while the daemon's memory stays flat in the number
/// of finished jobs.
/// </summary>
public sealed class RecentlyEnded(int capacity)
{
    private readonly Dictionary<JobId, JobAnswer> _answers = new();
    private readonly Queue<JobId> _order = new();

    public int Count => _answers.Count;

    public void Add(JobAnswer answer)
    {
        if (capacity <= 0) return;
        if (_answers.TryAdd(answer.Job, answer)) _order.Enqueue(answer.Job);
        else _answers[answer.Job] = answer;
        while (_order.Count > capacity) _answers.Remove(_order.Dequeue());
    }

    public bool TryGet(JobId job, out JobAnswer answer) => _answers.TryGetValue(job, out answer!);
}

namespace EdgeStream.Faults;

/// <summary>
/// Whether one loop (a forwarding partition, a processing rule) is faulted, why, since when, and how often it has
/// faulted; plus the capped exponential delay before its next attempt. Set and cleared by the loop, read by status and
/// metrics. Thread-safe. Linked into each project that runs such loops.
/// </summary>
internal sealed class LoopFault(Func<string, string>? redact = null)
{
    private readonly Lock _gate = new();
    private int _consecutive;

    public string? Reason { get; private set; }

    public DateTimeOffset? Since { get; private set; }

    public long Count { get; private set; }

    /// <summary>Records a fault; returns true when the loop was running until now (log once per state change).</summary>
    public bool Set(Exception error, DateTimeOffset now)
    {
        lock (_gate)
        {
            var changed = Reason is null;
            var reason = $"{error.GetType().Name}: {error.Message}";
            Reason = redact is null ? reason : redact(reason);
            Since ??= now;
            Count++;
            _consecutive++;
            return changed;
        }
    }

    /// <summary>Clears the fault after the loop made progress; returns true when it was faulted.</summary>
    public bool Clear()
    {
        lock (_gate)
        {
            if (Reason is null)
            {
                return false;
            }
            Reason = null;
            Since = null;
            _consecutive = 0;
            return true;
        }
    }

    public (string? Reason, DateTimeOffset? Since, long Count) Snapshot()
    {
        lock (_gate)
        {
            return (Reason, Since, Count);
        }
    }

    /// <summary><paramref name="initial"/> doubled per consecutive fault, at most <paramref name="max"/>.</summary>
    public TimeSpan NextDelay(TimeSpan initial, TimeSpan max)
    {
        int n;
        lock (_gate)
        {
            n = Math.Max(0, _consecutive - 1);
        }
        var ticks = initial.Ticks * Math.Pow(2, Math.Min(n, 30));
        return ticks >= max.Ticks ? max : TimeSpan.FromTicks((long)ticks);
    }
}

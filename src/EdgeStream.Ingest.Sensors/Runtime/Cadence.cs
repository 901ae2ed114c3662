namespace EdgeStream.Ingest.Sensors.Runtime;

/// <summary>Schedule arithmetic shared by the polling loops. Pure functions.</summary>
internal static class Cadence
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The first slot of the grid <c>scheduled + k·interval</c> (k ≥ 1) after <paramref name="now"/>: reads keep their
    /// cadence whatever a read costs, and a read that overran skips the slots it missed instead of bunching up.
    /// </summary>
    public static DateTimeOffset NextSlot(DateTimeOffset scheduled, TimeSpan interval, DateTimeOffset now)
    {
        var next = scheduled + interval;
        if (next <= now)
        {
            long missed = (now - next).Ticks / interval.Ticks + 1;
            next += TimeSpan.FromTicks(missed * interval.Ticks);
        }
        return next;
    }

    /// <summary>Retry delay after <paramref name="failures"/> failed reads in a row: 1 s doubling, capped at the larger of the interval and 30 s.</summary>
    public static TimeSpan Backoff(int failures, TimeSpan interval)
    {
        var cap = interval > LongestRetry ? interval : LongestRetry;
        double seconds = FirstRetry.TotalSeconds * Math.Pow(2, Math.Min(failures - 1, 16));
        return seconds >= cap.TotalSeconds ? cap : TimeSpan.FromSeconds(seconds);
    }
}

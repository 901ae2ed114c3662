namespace EdgeStream.Processing.Runtime;

/// <summary>
/// Decides when a growing count of skipped records is logged: the first time at once, then at most once per
/// <see cref="Interval"/> with everything counted since the last line. A device sending bad records without pause
/// would otherwise write a log line per record (and fill the journal), while one line per streak would hide a streak
/// that never ends. Not thread-safe: one rule session owns it.
/// </summary>
internal sealed class SkipReport(TimeProvider time)
{
    /// <summary>Least time between two lines.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private long _reported;
    private long? _lastLine;

    /// <summary>True when a line is due for <paramref name="total"/> (a counter that only grows); then
    /// <paramref name="since"/> is the count since the last line, which is now taken as reported.</summary>
    public bool TryTake(long total, out long since)
    {
        since = total - _reported;
        if (since <= 0 || (_lastLine is { } last && time.GetElapsedTime(last) < Interval))
        {
            return false;
        }
        _reported = total;
        _lastLine = time.GetTimestamp();
        return true;
    }
}

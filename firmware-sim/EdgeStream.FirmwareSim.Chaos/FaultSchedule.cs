namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>
/// Runs one kind of fault again and again at seeded, jittered intervals (uniform in 0.5..1.5 × the mean) until the
/// fault window closes. Faults of different kinds run side by side, so they overlap as they would in the field.
/// </summary>
internal static class FaultSchedule
{
    /// <summary>
    /// Waits an interval, runs <paramref name="fault"/>, repeats; never starts a fault that would run past
    /// <paramref name="windowEnd"/> (<paramref name="expectedLength"/> is how long one usually takes). A zero
    /// <paramref name="every"/> does nothing.
    /// </summary>
    public static async Task RunAsync(TimeSpan every, TimeSpan expectedLength, Random random, ChaosClock clock, TimeSpan windowEnd,
        Func<int, CancellationToken, Task> fault, CancellationToken cancellationToken)
    {
        if (every == TimeSpan.Zero)
        {
            return;
        }
        var next = clock.Elapsed + (every * (0.5 + random.NextDouble()));
        for (var n = 0; next + expectedLength < windowEnd; n++)
        {
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }
            await fault(n, cancellationToken);
            next = Max(next, clock.Elapsed) + (every * (0.5 + random.NextDouble()));
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}

/// <summary>Time since the run started. Thread-safe.</summary>
internal sealed class ChaosClock
{
    private readonly long _start = System.Diagnostics.Stopwatch.GetTimestamp();

    public TimeSpan Elapsed => System.Diagnostics.Stopwatch.GetElapsedTime(_start);

    /// <summary>A log line prefix: seconds since the start.</summary>
    public string Stamp => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"[{Elapsed.TotalSeconds,7:F1}s]");
}

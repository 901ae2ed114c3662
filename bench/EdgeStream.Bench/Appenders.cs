using System.Diagnostics;

namespace EdgeStream.Bench;

/// <summary>
/// Runs N concurrent appender loops until a deadline and counts durable records. Each loop's body appends one batch and
/// waits for its durability, returning the records it made durable. Thread-safe by construction (one counter per loop).
/// </summary>
internal static class Appenders
{
    public static async Task<(long Records, TimeSpan Elapsed)> RunAsync(int appenders, TimeSpan duration,
        Func<int, CancellationToken, ValueTask<int>> appendDurably, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var deadline = duration;
        var loops = Enumerable.Range(0, appenders).Select(id => Task.Run(async () =>
        {
            long records = 0;
            while (stopwatch.Elapsed < deadline)
            {
                records += await appendDurably(id, cancellationToken);
            }
            return records;
        }, cancellationToken)).ToArray();
        var counts = await Task.WhenAll(loops);
        // Elapsed until the last loop finished: the last batch's durability wait counts, as its records do.
        return (counts.Sum(), stopwatch.Elapsed);
    }
}

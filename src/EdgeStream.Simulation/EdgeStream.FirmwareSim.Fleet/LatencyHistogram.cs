using System.Numerics;

namespace EdgeStream.FirmwareSim.Fleet;

/// <summary>
/// A fixed-size log-linear histogram of latencies in microseconds (64 sub-buckets per power of two, so a
/// percentile is within about 1.6 % of the true value). Memory stays constant however long a run is.
/// <see cref="Record"/> is thread-safe; read percentiles once recording has stopped.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBuckets = 64;
    private const int SubBucketBits = 6;

    // Values below 64 µs get exact buckets; above, 64 buckets for each of the 58 remaining powers of two.
    private readonly long[] _counts = new long[SubBuckets + ((64 - SubBucketBits) * SubBuckets)];
    private long _max;

    public long Count { get; private set; }

    public void Record(TimeSpan latency)
    {
        var us = Math.Max(0, latency.Ticks / TimeSpan.TicksPerMicrosecond);
        Interlocked.Increment(ref _counts[Index(us)]);
        long seen;
        while (us > (seen = Interlocked.Read(ref _max)) && Interlocked.CompareExchange(ref _max, us, seen) != seen)
        {
        }
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }
        _max = Math.Max(_max, other._max);
    }

    public TimeSpan Max => TimeSpan.FromMicroseconds(_max);

    /// <summary>The latency below which <paramref name="percentile"/> % of the samples fall (bucket midpoint); zero when empty.</summary>
    public TimeSpan Percentile(double percentile)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(percentile, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentile, 100);
        var total = _counts.Sum();
        if (total == 0)
        {
            return TimeSpan.Zero;
        }
        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100 * total));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                var (low, width) = Bounds(i);
                return TimeSpan.FromMicroseconds(Math.Min(_max, low + (width / 2)));
            }
        }
        return Max;
    }

    internal static int Index(long us)
    {
        if (us < SubBuckets)
        {
            return (int)us;
        }
        var msb = 63 - BitOperations.LeadingZeroCount((ulong)us);
        var shift = msb - SubBucketBits;
        var top = (int)(us >> shift);
        return SubBuckets + (shift * SubBuckets) + (top - SubBuckets);
    }

    /// <summary>The lowest value and the width of bucket <paramref name="index"/>.</summary>
    internal static (long Low, long Width) Bounds(int index)
    {
        if (index < SubBuckets)
        {
            return (index, 1);
        }
        var shift = (index - SubBuckets) / SubBuckets;
        var top = SubBuckets + ((index - SubBuckets) % SubBuckets);
        return ((long)top << shift, 1L << shift);
    }
}

namespace EdgeStream.Processing.Windows;

/// <summary>Epoch-aligned window arithmetic in Unix milliseconds: windows start at <c>offset + k·step</c> for integer k.
/// Thread-safe (stateless).</summary>
internal static class WindowMath
{
    /// <summary>⌊a / b⌋ for b &gt; 0, also for negative a.</summary>
    public static long FloorDiv(long a, long b)
    {
        long q = a / b;
        return (a % b != 0 && a < 0) ? q - 1 : q;
    }

    /// <summary>Start of the tumbling window of size <paramref name="size"/> holding <paramref name="t"/>.</summary>
    public static long TumblingStart(long t, long size, long offset) => (FloorDiv(t - offset, size) * size) + offset;

    /// <summary>The first and last start of the hopping windows [s, s + size) holding t, s = offset + k·hop, ascending.</summary>
    public static (long First, long Last) HoppingStarts(long t, long size, long hop, long offset)
    {
        long last = (FloorDiv(t - offset, hop) * hop) + offset;
        // The earliest s with s + size > t, i.e. s > t - size.
        long first = (FloorDiv(t - size - offset, hop) * hop) + offset + hop;
        return (first, last);
    }
}

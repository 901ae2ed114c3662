using EdgeStream.Processing.Aggregates;

namespace EdgeStream.Processing.Windows;

/// <summary>One window of one key: its bounds, record count, revision and aggregate accumulators. Not thread-safe.</summary>
internal sealed class WindowState(long start, long end, Accumulator[] accumulators)
{
    /// <summary>Start (inclusive), Unix ms. Session and count windows: their first record's time.</summary>
    public long Start { get; set; } = start;

    /// <summary>End (exclusive), Unix ms. Session windows: last record + gap; count windows: last record's time.</summary>
    public long End { get; set; } = end;

    /// <summary>Session windows: newest record time.</summary>
    public long LastT { get; set; } = start;

    /// <summary>Count windows: the window's sequence number for its key (its id).</summary>
    public long Seq { get; set; }

    public long Count { get; set; }

    /// <summary>0 at first emission, +1 per re-emission with a late record (Late: revise).</summary>
    public int Revision { get; set; }

    public Accumulator[] Accumulators { get; } = accumulators;

    /// <summary>Makes a spare window new again for [<paramref name="newStart"/>, <paramref name="newEnd"/>); the caller resets the accumulators.</summary>
    public void Reset(long newStart, long newEnd)
    {
        Start = LastT = newStart;
        End = newEnd;
        Seq = 0;
        Count = 0;
        Revision = 0;
    }
}

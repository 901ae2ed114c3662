namespace EdgeStream.Log;

/// <summary>
/// Damaged stored data that readers skip: a batch (or run of bytes) that failed its checksum or framing, or a segment
/// that ends before the next one begins. The records in [<see cref="FirstOffset"/>, <see cref="EndOffset"/>) are
/// never served. Immutable.
/// </summary>
/// <param name="Segment">The segment file.</param>
/// <param name="Position">Byte position where the damage starts.</param>
/// <param name="EndPosition">Byte position of the next valid batch (or the segment's end).</param>
/// <param name="FirstOffset">First offset skipped.</param>
/// <param name="EndOffset">One past the last offset skipped.</param>
/// <param name="Reason">What failed.</param>
/// <param name="DetectedAt">When this process first found it.</param>
public sealed record CorruptRange(string Segment, long Position, long EndPosition, long FirstOffset, long EndOffset, string Reason, DateTimeOffset DetectedAt)
{
    /// <summary>Records skipped.</summary>
    public long SkippedRecords => Math.Max(0, EndOffset - FirstOffset);
}

/// <summary>A partition's damaged ranges, and whether the damage parked it (<c>Log:OnCorruption = stop-partition</c>). Immutable.</summary>
/// <param name="Topic">Topic.</param>
/// <param name="Partition">Partition.</param>
/// <param name="Parked">True when the partition refuses reads and appends because of the damage.</param>
/// <param name="Ranges">The damaged ranges found since the log was opened, lowest offsets first.</param>
public sealed record PartitionCorruption(string Topic, int Partition, bool Parked, IReadOnlyList<CorruptRange> Ranges);

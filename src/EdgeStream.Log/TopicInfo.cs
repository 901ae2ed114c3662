namespace EdgeStream.Log;

/// <summary>A snapshot of one topic.</summary>
/// <param name="Name">Topic name.</param>
/// <param name="Settings">A copy of the topic's settings.</param>
/// <param name="Partitions">Per-partition state, by partition number.</param>
public sealed record TopicInfo(string Name, TopicSettings Settings, IReadOnlyList<PartitionInfo> Partitions)
{
    /// <summary>Bytes on disk over all partitions.</summary>
    public long SizeBytes => Partitions.Sum(p => p.SizeBytes);
}

/// <summary>A snapshot of one partition.</summary>
/// <param name="Partition">Partition number.</param>
/// <param name="StartOffset">First offset still stored.</param>
/// <param name="NextOffset">Offset the next append gets.</param>
/// <param name="DurableOffset">One past the last durable offset; readers see records below it.</param>
/// <param name="SizeBytes">Bytes of segment files.</param>
/// <param name="SegmentCount">Number of segments.</param>
public sealed record PartitionInfo(int Partition, long StartOffset, long NextOffset, long DurableOffset, long SizeBytes, int SegmentCount);

/// <summary>A named cursor's committed position in one partition.</summary>
/// <param name="Name">Cursor name (e.g. a sink).</param>
/// <param name="Topic">Topic.</param>
/// <param name="Partition">Partition.</param>
/// <param name="NextOffset">The next offset the cursor's owner will read: everything below is confirmed.</param>
public sealed record CursorPosition(string Name, string Topic, int Partition, long NextOffset);

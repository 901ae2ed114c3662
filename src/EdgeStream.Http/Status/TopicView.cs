using EdgeStream.Log;

namespace EdgeStream.Http.Status;

/// <summary>One topic as shown by <c>/api/status</c> and <c>GET /api/v1/topics</c>. Immutable.</summary>
internal sealed record TopicView(string Name, long SizeBytes, IReadOnlyList<PartitionView> Partitions)
{
    public static TopicView From(TopicInfo topic)
        => new(topic.Name, topic.SizeBytes, [.. topic.Partitions.Select(p =>
            new PartitionView(p.Partition, p.StartOffset, p.NextOffset, p.DurableOffset, p.SizeBytes, p.SegmentCount))]);
}

/// <summary>One partition: first stored offset, next offset to be assigned, durable end (exclusive), bytes on disk. Immutable.</summary>
internal sealed record PartitionView(int Partition, long StartOffset, long NextOffset, long DurableOffset, long SizeBytes, int Segments);

/// <summary>A committed cursor and how many durable records it has not confirmed yet. Immutable.</summary>
internal sealed record CursorView(string Name, string Topic, int Partition, long NextOffset, long LagRecords);

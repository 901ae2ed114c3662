using System.Text.Json.Serialization;
using EdgeStream.Log;

namespace EdgeStream.Http.Status;

/// <summary>One topic as shown by <c>/api/status</c> and <c>GET /api/v1/topics</c>. Immutable.</summary>
internal sealed record TopicView(string Name, long SizeBytes, IReadOnlyList<PartitionView> Partitions)
{
    public static TopicView From(TopicInfo topic) => From(topic, null);

    public static TopicView From(TopicInfo topic, IReadOnlyList<PartitionFailure>? failures)
        => new(topic.Name, topic.SizeBytes, [.. topic.Partitions.Select(p =>
            new PartitionView(p.Partition, p.StartOffset, p.NextOffset, p.DurableOffset, p.SizeBytes, p.SegmentCount,
                failures?.FirstOrDefault(f => f.Topic == topic.Name && f.Partition == p.Partition) is { } f
                    ? new PartitionFailureView(f.Error, f.FailedAt, (long)f.FailedFor.TotalSeconds, f.ReopenAttempts)
                    : null))]);
}

/// <summary>
/// One partition: first stored offset, next offset to be assigned, durable end (exclusive), bytes on disk, and while it
/// is failed (a write or fsync error; it reopens itself) the error. Immutable.
/// </summary>
internal sealed record PartitionView(int Partition, long StartOffset, long NextOffset, long DurableOffset, long SizeBytes, int Segments,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PartitionFailureView? Failed = null);

/// <summary>Why and since when a partition refuses appends. Immutable.</summary>
internal sealed record PartitionFailureView(string Error, DateTimeOffset Since, long ForSeconds, int ReopenAttempts);

/// <summary>A committed cursor and how many durable records it has not confirmed yet. Immutable.</summary>
internal sealed record CursorView(string Name, string Topic, int Partition, long NextOffset, long LagRecords);

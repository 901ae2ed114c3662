using EdgeStream.Log;

namespace EdgeStream.Http.Status;

/// <summary>Every committed cursor with its lag: durable records of its partition it has not confirmed. Stateless.</summary>
internal static class CursorViews
{
    public static List<CursorView> From(LogStore store, IReadOnlyList<TopicInfo> topics)
    {
        var durable = topics.SelectMany(t => t.Partitions.Select(p => (t.Name, p.Partition, p.DurableOffset)))
            .ToDictionary(x => (x.Name, x.Partition), x => x.DurableOffset);
        return [.. store.GetCursors().Select(c => new CursorView(c.Name, c.Topic, c.Partition, c.NextOffset,
            durable.TryGetValue((c.Topic, c.Partition), out var end) ? Math.Max(0, end - c.NextOffset) : 0))];
    }
}

using System.Globalization;
using EdgeStream.Log;

namespace EdgeStream.Forwarding;

/// <summary>
/// Consecutive durable records of one partition, in offset order, to deliver as a unit. Immutable.
/// </summary>
/// <param name="NodeId">This edge node's id.</param>
/// <param name="Topic">The log topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Records">The records, ascending offsets, never empty.</param>
public sealed record SinkBatch(string NodeId, string Topic, int Partition, IReadOnlyList<StoredRecord> Records)
{
    /// <summary>Offset of the first record.</summary>
    public long FirstOffset => Records[0].Offset;

    /// <summary>Offset of the last record.</summary>
    public long LastOffset => Records[^1].Offset;

    /// <summary>The stable idempotency id of <paramref name="record"/>: <c>{nodeId}/{topic}/{partition}/{offset}</c>.</summary>
    public string IdOf(StoredRecord record) => RecordId(NodeId, record.Topic, record.Partition, record.Offset);

    /// <summary>The stable id of the whole batch: <c>{nodeId}/{topic}/{partition}/{firstOffset}-{lastOffset}</c>.</summary>
    public string BatchId => string.Create(CultureInfo.InvariantCulture, $"{NodeId}/{Topic}/{Partition}/{FirstOffset}-{LastOffset}");

    /// <summary>Formats a record id: <c>{nodeId}/{topic}/{partition}/{offset}</c>.</summary>
    public static string RecordId(string nodeId, string topic, int partition, long offset)
        => string.Create(CultureInfo.InvariantCulture, $"{nodeId}/{topic}/{partition}/{offset}");

    /// <summary>Approximate payload size: key, value and header bytes of every record.</summary>
    public long SizeBytes => SizeOf(Records);

    // Indexed loops, not LINQ/foreach over the interfaces: this runs for every record the engine forwards.
    internal static long SizeOf(IReadOnlyList<StoredRecord> records)
    {
        long n = 0;
        for (var i = 0; i < records.Count; i++)
        {
            n += SizeOf(records[i]);
        }
        return n;
    }

    internal static long SizeOf(StoredRecord r)
    {
        long n = r.Value.Length + (r.Key?.Length ?? 0);
        var headers = r.Headers;
        for (var i = 0; i < headers.Count; i++)
        {
            n += headers[i].Name.Length + headers[i].Value.Length;
        }
        return n;
    }

    /// <summary>A batch of a sub-range of this batch's records (used to isolate a rejected record).</summary>
    public SinkBatch Slice(int start, int count) => this with { Records = Records.Skip(start).Take(count).ToArray() };
}

namespace EdgeStream.Log;

/// <summary>A record as read back from the log, with its position. Immutable.</summary>
/// <param name="Topic">Log topic.</param>
/// <param name="Partition">Partition number.</param>
/// <param name="Offset">Dense 0-based offset within the partition.</param>
/// <param name="Timestamp">The record's timestamp (millisecond precision).</param>
/// <param name="Key">The key, or <c>null</c> when the record had none.</param>
/// <param name="Value">The payload bytes.</param>
/// <param name="Headers">Headers in stored order.</param>
public sealed record StoredRecord(
    string Topic,
    int Partition,
    long Offset,
    DateTimeOffset Timestamp,
    ReadOnlyMemory<byte>? Key,
    ReadOnlyMemory<byte> Value,
    IReadOnlyList<RecordHeader> Headers)
{
    /// <summary>The first header with this name, or <c>null</c>.</summary>
    public ReadOnlyMemory<byte>? GetHeader(string name)
    {
        foreach (var h in Headers)
        {
            if (string.Equals(h.Name, name, StringComparison.Ordinal))
            {
                return h.Value;
            }
        }
        return null;
    }
}

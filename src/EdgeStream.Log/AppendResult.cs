namespace EdgeStream.Log;

/// <summary>Where an append landed: the partition and the offsets assigned, in order.</summary>
/// <param name="Partition">The partition written.</param>
/// <param name="BaseOffset">Offset of the first record appended.</param>
/// <param name="Count">Number of records appended; offsets are <c>BaseOffset .. BaseOffset + Count - 1</c>.</param>
public readonly record struct AppendResult(int Partition, long BaseOffset, int Count)
{
    /// <summary>Offset of the last record appended.</summary>
    public long LastOffset => BaseOffset + Count - 1;
}

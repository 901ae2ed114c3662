namespace EdgeStream.Log;

/// <summary>Records returned by a read, and where the next read should start.</summary>
/// <param name="Records">Records in offset order, all at or after the requested offset; may be empty.</param>
/// <param name="NextOffset">The offset to read from next.</param>
/// <param name="LogStartOffset">The first offset still stored in the partition.</param>
/// <param name="DurableOffset">One past the last durable offset: readers never see records at or past it.</param>
public sealed record ReadResult(IReadOnlyList<StoredRecord> Records, long NextOffset, long LogStartOffset, long DurableOffset);

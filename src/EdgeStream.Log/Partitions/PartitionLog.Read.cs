using System.Buffers;
using EdgeStream.Log.Format;
using EdgeStream.Log.Segments;

namespace EdgeStream.Log.Partitions;

internal sealed partial class PartitionLog
{
    /// <summary>Reads durable records from <paramref name="fromOffset"/> within <paramref name="limits"/>; every batch is CRC-checked.</summary>
    public ReadResult Read(long fromOffset, ReadLimits limits)
    {
        var maxRecords = Math.Max(1, limits.MaxRecords);
        var durable = Volatile.Read(ref _durableOffset);
        var segments = Volatile.Read(ref _segments);
        var start = segments[0].BaseOffset;
        var from = Math.Max(fromOffset, start);
        var records = new List<StoredRecord>();
        long budget = Math.Max(1, limits.MaxBytes);
        for (var i = FindSegment(segments, from); i < segments.Length && from < durable; i++)
        {
            var segment = segments[i];
            if (!segment.TryAcquire())
            {
                // Deleted by retention while we looked: the data is gone, continue with what follows.
                continue;
            }
            try
            {
                var added = ReadSegment(segment, from, durable, records, maxRecords, budget);
                budget -= added;
            }
            finally
            {
                segment.Release();
            }
            if (records.Count > 0)
            {
                from = records[^1].Offset + 1;
            }
            if (records.Count >= maxRecords || budget <= 0)
            {
                break;
            }
        }
        var next = records.Count > 0 ? records[^1].Offset + 1 : from;
        return new ReadResult(records, next, Volatile.Read(ref _segments)[0].BaseOffset, durable);
    }

    /// <summary>The first offset whose timestamp is at or after <paramref name="timestamp"/>, or the durable end.</summary>
    public long FindOffset(DateTimeOffset timestamp)
    {
        var target = timestamp.ToUnixTimeMilliseconds();
        var durable = Volatile.Read(ref _durableOffset);
        var segments = Volatile.Read(ref _segments);
        foreach (var segment in segments)
        {
            if (segment.BaseOffset >= durable)
            {
                break;
            }
            if (segment.MaxTimestamp < target || !segment.TryAcquire())
            {
                continue;
            }
            try
            {
                var position = segment.Offsets.Lookup(segment.Times.Lookup(target));
                long? found = null;
                ForEachBatch(segment, position, durable, (batch, info) =>
                {
                    if (info.MaxTimestamp < target)
                    {
                        return true;
                    }
                    var decoded = new List<StoredRecord>(info.RecordCount);
                    if (RecordBatch.Decode(batch, Topic, Id, info.BaseOffset, decoded, int.MaxValue, long.MaxValue) < 0)
                    {
                        throw new CorruptBatchException(segment.LogPath, 0, "malformed records section");
                    }
                    found = decoded.First(r => r.Timestamp.ToUnixTimeMilliseconds() >= target).Offset;
                    return false;
                });
                if (found is { } offset)
                {
                    return offset;
                }
            }
            finally
            {
                segment.Release();
            }
        }
        return durable;
    }

    private int ReadSegment(Segment segment, long from, long durable, List<StoredRecord> records, int maxRecords, long budget)
    {
        var total = 0;
        var position = from > segment.BaseOffset ? segment.Offsets.Lookup(from - segment.BaseOffset) : 0;
        ForEachBatch(segment, position, durable, (batch, info) =>
        {
            if (info.NextOffset <= from)
            {
                return true;
            }
            var added = RecordBatch.Decode(batch, Topic, Id, from, records, maxRecords, budget - total);
            if (added < 0)
            {
                throw new CorruptBatchException(segment.LogPath, info.BaseOffset, "malformed records section");
            }
            total += added;
            return records.Count < maxRecords && total < budget;
        });
        return total;
    }

    /// <summary>
    /// Calls <paramref name="onBatch"/> for each verified batch from <paramref name="position"/> up to the durable end,
    /// until it returns false. A batch failing any check throws <see cref="CorruptBatchException"/>: never served.
    /// </summary>
    private static void ForEachBatch(Segment segment, long position, long durableOffset, Func<ReadOnlySpan<byte>, BatchInfo, bool> onBatch)
    {
        var limit = segment.DurableSize;
        Span<byte> head = stackalloc byte[RecordBatch.LengthFieldEnd];
        while (position < limit)
        {
            if (segment.Read(position, head) < head.Length)
            {
                throw new CorruptBatchException(segment.LogPath, position, "segment shorter than its durable size");
            }
            var (baseOffset, size) = RecordBatch.ReadFrame(head);
            if (baseOffset >= durableOffset)
            {
                return;
            }
            if (size < RecordBatch.HeaderSize || size > RecordBatch.MaxBatchBytes || position + size > limit)
            {
                throw new CorruptBatchException(segment.LogPath, position, $"invalid batch length {size}");
            }
            var buffer = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                var batch = buffer.AsSpan(0, size);
                segment.Read(position, batch);
                if (RecordBatch.Validate(batch) is { } reason)
                {
                    throw new CorruptBatchException(segment.LogPath, position, reason);
                }
                if (!onBatch(batch, RecordBatch.ReadInfo(batch)))
                {
                    return;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            position += size;
        }
    }

    private static int FindSegment(Segment[] segments, long offset)
    {
        int lo = 0, hi = segments.Length - 1, found = 0;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (segments[mid].BaseOffset <= offset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found;
    }
}

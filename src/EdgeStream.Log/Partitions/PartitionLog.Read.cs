using EdgeStream.Log.Format;
using EdgeStream.Log.Segments;

namespace EdgeStream.Log.Partitions;

internal sealed partial class PartitionLog
{
    private enum BatchVerdict
    {
        Continue,
        Stop,
        Malformed,
    }

    /// <summary>
    /// Reads durable records from <paramref name="fromOffset"/> within <paramref name="limits"/>; every batch is
    /// CRC-checked. Damaged data is never returned: readers skip to the next valid batch (the skipped range is logged,
    /// counted and listed in <see cref="Corruptions"/> once), and <see cref="ReadResult.NextOffset"/> moves past it even
    /// when no record could be returned, so a reader looping on NextOffset always progresses.
    /// </summary>
    /// <exception cref="PartitionParkedException">The partition is parked (<c>Log:OnCorruption = stop-partition</c>).</exception>
    public ReadResult Read(long fromOffset, ReadLimits limits)
    {
        ThrowIfParked();
        var maxRecords = Math.Max(1, limits.MaxRecords);
        var durable = Volatile.Read(ref _durableOffset);
        var segments = Volatile.Read(ref _segments);
        var next = Math.Max(fromOffset, segments[0].BaseOffset);
        var records = new List<StoredRecord>();
        long budget = Math.Max(1, limits.MaxBytes);
        for (var i = FindSegment(segments, next); i < segments.Length && next < durable; i++)
        {
            var segment = segments[i];
            if (!segment.TryAcquire())
            {
                // Deleted by retention while we looked: the data is gone, continue with what follows.
                continue;
            }
            bool completed;
            try
            {
                (next, completed, var added) = ReadSegment(segment, next, durable, records, maxRecords, budget);
                budget -= added;
                if (completed && i + 1 < segments.Length && next < Math.Min(segments[i + 1].BaseOffset, durable))
                {
                    // The segment ends before its successor begins: it lost its tail below the recovery point.
                    var end = Math.Min(segments[i + 1].BaseOffset, durable);
                    var size = segment.DurableSize;
                    if (!TryKnownCorruption(segment.LogPath, size, out _))
                    {
                        ReportCorruption(new CorruptRange(segment.LogPath, size, size, next, end, "segment ends before the next one begins", _time.GetUtcNow()));
                    }
                    next = end;
                }
            }
            finally
            {
                segment.Release();
            }
            if (!completed || records.Count >= maxRecords || budget <= 0)
            {
                break;
            }
        }
        return new ReadResult(records, next, Volatile.Read(ref _segments)[0].BaseOffset, durable);
    }

    /// <summary>The first offset whose timestamp is at or after <paramref name="timestamp"/>, or the durable end.</summary>
    public long FindOffset(DateTimeOffset timestamp)
    {
        ThrowIfParked();
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
                var (position, relative) = segment.Offsets.Floor(segment.Times.Lookup(target));
                long? found = null;
                ForEachBatch(segment, position, segment.BaseOffset + relative, durable, (batch, info) =>
                {
                    if (info.MaxTimestamp < target)
                    {
                        return BatchVerdict.Continue;
                    }
                    var decoded = new List<StoredRecord>(info.RecordCount);
                    if (RecordBatch.Decode(batch, Topic, Id, info.BaseOffset, decoded, int.MaxValue, long.MaxValue) < 0)
                    {
                        return BatchVerdict.Malformed;
                    }
                    found = decoded.FirstOrDefault(r => r.Timestamp.ToUnixTimeMilliseconds() >= target)?.Offset;
                    return found is null ? BatchVerdict.Continue : BatchVerdict.Stop;
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

    /// <summary>Reads one segment from <paramref name="from"/>; returns where the reader goes on, whether the segment was read to its end, and the bytes added.</summary>
    private (long Next, bool Completed, int Added) ReadSegment(Segment segment, long from, long durable, List<StoredRecord> records, int maxRecords, long budget)
    {
        var total = 0;
        var resume = from;
        var (position, relative) = from > segment.BaseOffset ? segment.Offsets.Floor(from - segment.BaseOffset) : (0, 0);
        var (reached, completed) = ForEachBatch(segment, position, segment.BaseOffset + relative, durable, (batch, info) =>
        {
            if (info.NextOffset <= from)
            {
                return BatchVerdict.Continue;
            }
            var before = records.Count;
            var added = RecordBatch.Decode(batch, Topic, Id, from, records, maxRecords, budget - total);
            if (added < 0)
            {
                records.RemoveRange(before, records.Count - before);
                return BatchVerdict.Malformed;
            }
            total += added;
            if (records.Count > before)
            {
                resume = records[^1].Offset + 1;
            }
            // A batch that did not fit whole ends the read here: going on to the next batch would return its records
            // after a gap (the rest of this one), and the reader's NextOffset would pass records never returned.
            var whole = records.Count > before && resume == info.NextOffset;
            return whole && records.Count < maxRecords && total < budget ? BatchVerdict.Continue : BatchVerdict.Stop;
        });
        return (Math.Max(completed ? reached : resume, from), completed, total);
    }

    /// <summary>
    /// Calls <paramref name="onBatch"/> for each verified batch from <paramref name="position"/> (where a batch starting at
    /// <paramref name="expected"/> should be) up to the durable end, until it says stop. A batch failing any check is never
    /// passed on: the walk resumes at the next verifiable batch and the skipped range is reported. Returns the offset
    /// reached (the batch it stopped at, or the end of what it walked) and whether it walked to the end.
    /// </summary>
    private (long Reached, bool Completed) ForEachBatch(Segment segment, long position, long expected, long durableOffset, Func<ReadOnlySpan<byte>, BatchInfo, BatchVerdict> onBatch)
    {
        var limit = segment.DurableSize;
        var first = true;
        using var reader = new BatchReadAhead(segment, limit);
        while (position < limit)
        {
            var reason = reader.Read(position, out var batch);
            if (reason is null)
            {
                var size = batch.Length;
                var info = RecordBatch.ReadInfo(batch);
                // The first batch was located by the (unchecksummed) index; from then on offsets must be dense.
                if (info.BaseOffset != expected && !first)
                {
                    reason = $"base offset {info.BaseOffset} where {expected} was expected";
                }
                else
                {
                    if (info.BaseOffset >= durableOffset)
                    {
                        return (info.BaseOffset, true);
                    }
                    var verdict = onBatch(batch, info);
                    if (verdict == BatchVerdict.Stop)
                    {
                        return (info.BaseOffset, false);
                    }
                    if (verdict == BatchVerdict.Malformed && !TryKnownCorruption(segment.LogPath, position, out _))
                    {
                        ReportCorruption(new CorruptRange(segment.LogPath, position, position + size, info.BaseOffset, info.NextOffset, "malformed records section", _time.GetUtcNow()));
                    }
                    position += size;
                    expected = info.NextOffset;
                    first = false;
                    continue;
                }
            }
            (position, expected) = SkipDamage(segment, position, limit, expected, durableOffset, reason);
            first = false;
        }
        return (expected, true);
    }

    /// <summary>Where to go on after damage at <paramref name="position"/>: the next verifiable batch, found once and remembered.</summary>
    private (long Position, long Offset) SkipDamage(Segment segment, long position, long limit, long expected, long durableOffset, string reason)
    {
        if (!TryKnownCorruption(segment.LogPath, position, out var range))
        {
            var maxOffset = Math.Max(expected, segment.NextOffset);
            range = BatchResync.Find(segment.File, position, limit, expected, maxOffset) is { } found
                ? new CorruptRange(segment.LogPath, position, found.Position, expected, found.Info.BaseOffset, reason, _time.GetUtcNow())
                : new CorruptRange(segment.LogPath, position, limit, expected, Math.Max(expected, Math.Min(segment.NextOffset, durableOffset)), reason, _time.GetUtcNow());
            ReportCorruption(range);
        }
        return (range.EndPosition, range.EndOffset);
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

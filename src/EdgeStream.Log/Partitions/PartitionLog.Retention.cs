using System.Diagnostics;
using EdgeStream.Log.Diagnostics;
using EdgeStream.Log.Segments;

namespace EdgeStream.Log.Partitions;

internal sealed partial class PartitionLog
{
    /// <summary>
    /// Deletes the oldest segments while <paramref name="shouldDelete"/> says so. Only sealed, durable segments go;
    /// the active segment always stays. Returns (segments, bytes, records) deleted.
    /// </summary>
    public (int Segments, long Bytes, long Records) DeleteOldest(Func<Segment, long, bool> shouldDelete, int maxSegments = int.MaxValue)
    {
        var deleted = new List<Segment>();
        lock (_lock)
        {
            var remainingBytes = _segments.Sum(s => s.Size);
            var i = 0;
            while (i < _segments.Length - 1 && deleted.Count < maxSegments)
            {
                var segment = _segments[i];
                var next = _segments[i + 1].BaseOffset;
                if (next > _durableOffset || _sealedUnflushed.Contains(segment) || !shouldDelete(segment, remainingBytes))
                {
                    break;
                }
                deleted.Add(segment);
                remainingBytes -= segment.Size;
                i++;
            }
            if (deleted.Count == 0)
            {
                return (0, 0, 0);
            }
            _segments = _segments[deleted.Count..];
        }
        var bytes = deleted.Sum(s => s.Size);
        var records = Volatile.Read(ref _segments)[0].BaseOffset - deleted[0].BaseOffset;
        foreach (var segment in deleted)
        {
            segment.Delete();
        }
        _budget.Remove(bytes);
        _budget.Invalidate();
        return (deleted.Count, bytes, records);
    }

    /// <summary>Applies the topic's age and size retention, keeping what <paramref name="protectFrom"/> (the lowest cursor) has not passed.</summary>
    public void ApplyRetention(long? protectFrom)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        RollIfAged(now);
        var ageLimit = Settings.RetentionAge is { } age ? now - (long)age.TotalMilliseconds : long.MinValue;
        var sizeLimit = Settings.RetentionBytes;
        var keepFrom = Settings.KeepUnconsumed ? protectFrom : null;
        var reason = "";
        var (count, bytes, records) = DeleteOldest((segment, remaining) =>
        {
            var next = segment.NextOffset;
            if (keepFrom is { } k && next > k)
            {
                return false;
            }
            if (segment.MaxTimestamp < ageLimit)
            {
                reason = "older than the retention age";
                return true;
            }
            if (sizeLimit is { } limit && remaining - segment.Size >= limit)
            {
                reason = "over the retention size";
                return true;
            }
            return false;
        });
        if (count > 0)
        {
            var tags = new TagList { { "topic", Topic }, { "reason", "retention" } };
            _metrics.DroppedSegments.Add(count, tags);
            _metrics.DroppedRecords.Add(records, tags);
            LogEvents.RetentionDeleted(_logger, Topic, Id, count, bytes, StartOffset, reason);
        }
    }

    /// <summary>Deletes the oldest segment to make room under the disk budget; false if none can go.</summary>
    public bool DropOldestForBudget()
    {
        var (count, bytes, records) = DeleteOldest((_, _) => true, maxSegments: 1);
        if (count == 0)
        {
            return false;
        }
        var tags = new TagList { { "topic", Topic }, { "reason", "disk-budget" } };
        _metrics.DroppedSegments.Add(count, tags);
        _metrics.DroppedRecords.Add(records, tags);
        LogEvents.DroppedOldest(_logger, Topic, Id, StartOffset, records, bytes);
        return true;
    }

    /// <summary>Max timestamp of the oldest deletable segment, or null (for picking which partition drops first).</summary>
    public long? OldestDeletableTimestamp()
    {
        lock (_lock)
        {
            return _segments.Length > 1 && _segments[1].BaseOffset <= _durableOffset && !_sealedUnflushed.Contains(_segments[0])
                ? _segments[0].MaxTimestamp
                : null;
        }
    }

    /// <summary>Rolls an idle active segment past its maximum age so age retention can delete it later.</summary>
    private void RollIfAged(long now)
    {
        lock (_lock)
        {
            var active = _segments[^1];
            if (_failure is null && active.Size > 0 && now - active.FirstAppendMs >= (long)Settings.SegmentMaxAge.TotalMilliseconds)
            {
                RollLocked();
                _wake.Release();
            }
        }
    }
}

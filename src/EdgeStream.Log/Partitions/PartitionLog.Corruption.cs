using System.Collections.Concurrent;
using EdgeStream.Log.Diagnostics;

namespace EdgeStream.Log.Partitions;

internal sealed partial class PartitionLog
{
    // Enough to show an operator what is wrong; a disk that rots faster than this has bigger news (the counters go on).
    private const int MaxCorruptionsKept = 256;
    private readonly ConcurrentDictionary<(string Segment, long Position), CorruptRange> _corruptions = new();
    private PartitionParkedException? _parked;

    /// <summary>When true, the first damage found parks the partition (<c>Log:OnCorruption = stop-partition</c>).</summary>
    public bool StopOnCorruption { get; set; }

    /// <summary>Damaged ranges found so far (oldest offsets first), each reported once.</summary>
    public IReadOnlyList<CorruptRange> Corruptions => [.. _corruptions.Values.OrderBy(c => c.FirstOffset)];

    /// <summary>The damage that parked the partition, or null while it serves.</summary>
    public CorruptRange? ParkedBy => Volatile.Read(ref _parked)?.Damage;

    private bool TryKnownCorruption(string segment, long position, out CorruptRange range)
        => _corruptions.TryGetValue((segment, position), out range!);

    /// <summary>Records, logs and counts damage once; parks the partition when the policy says so (then throws).</summary>
    private void ReportCorruption(CorruptRange range)
    {
        if (_corruptions.Count < MaxCorruptionsKept ? _corruptions.TryAdd((range.Segment, range.Position), range) : !_corruptions.ContainsKey((range.Segment, range.Position)))
        {
            _metrics.CorruptBatches.Add(1, _topicTag);
            _metrics.CorruptSkippedRecords.Add(range.SkippedRecords, _topicTag);
            LogEvents.CorruptSkipped(_logger, Topic, Id, Path.GetFileName(range.Segment), range.Position, range.EndPosition, range.FirstOffset, range.EndOffset, range.Reason);
            if (StopOnCorruption && Interlocked.CompareExchange(ref _parked, new PartitionParkedException(Topic, Id, range), null) is null)
            {
                LogEvents.PartitionParked(_logger, Topic, Id);
            }
        }
        ThrowIfParked();
    }

    private void ThrowIfParked()
    {
        if (Volatile.Read(ref _parked) is { } parked)
        {
            throw parked;
        }
    }
}

using EdgeStream.Log.Diagnostics;
using EdgeStream.Log.Retention;
using EdgeStream.Log.Segments;
using EdgeStream.Log.Storage;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Log.Partitions;

internal sealed partial class PartitionLog
{
    /// <summary>
    /// Opens (or creates) a partition directory and recovers it. Segments wholly below the recovery point are trusted
    /// (only their indexes are checked); from the recovery point on, batches are scanned and the first torn or corrupt
    /// one truncates the log there, and any later segment is deleted. Without a recovery point everything is scanned.
    /// Every scanned segment (with its indexes) and the directory are then fsynced before the partition serves a read:
    /// bytes past the recovery point may sit in the page cache only (written by a process that crashed before its
    /// fsync), and serving them, forwarding them or covering them by a new recovery point would let a later power cut
    /// take back records that were already handed out, and their offsets be reused. Truncating to what is provably
    /// durable instead is not possible: records fsynced (and acknowledged) after the last recovery point look exactly
    /// like unsynced ones, so cutting at the recovery point would lose acknowledged data.
    /// </summary>
    public static PartitionLog Open(string topic, int id, string directory, TopicSettings settings, CommitPolicy policy,
        ILogStorage storage, TimeProvider time, ILogger logger, LogMetrics metrics, DiskBudget budget)
    {
        storage.CreateDirectory(directory);
        foreach (var stray in storage.Files(directory, "*.tmp"))
        {
            storage.DeleteFile(stray);
        }
        var bases = storage.Files(directory, "*" + SegmentFiles.LogSuffix)
            .Select(p => SegmentFiles.TryParseBaseOffset(p, out var b) ? b : -1)
            .Where(b => b >= 0)
            .Order()
            .ToList();
        var segments = new List<Segment>();
        if (bases.Count == 0)
        {
            segments.Add(Segment.Create(storage, directory, 0, settings.IndexIntervalBytes, settings.PreallocationStep, settings.ZeroFill));
            storage.SyncDirectory(directory);
            // The partition directory's own entry lives in the topic directory.
            storage.SyncDirectory(Path.GetDirectoryName(directory)!);
        }
        else
        {
            Recover(topic, id, directory, settings, storage, logger, metrics, bases, segments);
            // Covers the stray deletions above, segments deleted or created by recovery, and segments the crashed
            // process created but whose directory entry it never fsynced.
            storage.SyncDirectory(directory);
        }
        budget.Add(segments.Sum(s => s.Size));
        var log = new PartitionLog(topic, id, directory, settings, policy, storage, time, logger, metrics, budget, [.. segments]);
        log._checkpointedOffset = RecoveryCheckpoint.Read(storage, directory) ?? -1;
        return log;
    }

    private static void Recover(string topic, int id, string directory, TopicSettings settings, ILogStorage storage, ILogger logger,
        LogMetrics metrics, List<long> bases, List<Segment> segments)
    {
        var checkpoint = RecoveryCheckpoint.Read(storage, directory) ?? -1;
        var firstToScan = bases.FindLastIndex(b => b <= checkpoint);
        if (firstToScan < 0)
        {
            firstToScan = 0;
        }
        long scanned = 0;
        for (var i = 0; i < bases.Count; i++)
        {
            var path = SegmentFiles.LogPath(directory, bases[i]);
            var segment = Segment.Open(storage, path, bases[i], settings.IndexIntervalBytes, settings.PreallocationStep, settings.ZeroFill);
            if (i < firstToScan)
            {
                if (segment.LoadTrusted(bases[i + 1]) is { } problem)
                {
                    LogEvents.IndexRebuilt(logger, topic, id, Path.GetFileName(path), problem);
                }
                segments.Add(segment);
                continue;
            }

            var sizeBefore = segment.Size;
            var kept = new List<(long Position, long Resume, string Reason)>();
            var result = segment.Recover(i == firstToScan ? checkpoint : bases[i], kept);
            foreach (var (position, resume, reason) in kept)
            {
                LogEvents.RecoveryKeptAfterDamage(logger, topic, id, Path.GetFileName(path), position, resume, reason);
            }
            scanned += result.ValidEnd - result.Start;
            if (i + 1 < bases.Count)
            {
                // Rolled, but the crash came before its trim was fsynced: a sealed segment keeps no zero tail.
                segment.TrimToSize();
            }
            segments.Add(segment);
            segment.FlushAll();
            var expectedNext = i + 1 < bases.Count ? bases[i + 1] : (long?)null;
            if (result.Problem is not null)
            {
                metrics.TruncatedBytes.Add(sizeBefore - result.ValidEnd, new KeyValuePair<string, object?>("topic", topic));
                LogEvents.Truncated(logger, topic, id, Path.GetFileName(path), result.ValidEnd, sizeBefore - result.ValidEnd, result.NextOffset, result.Problem);
            }
            if (expectedNext is { } next && result.NextOffset != next)
            {
                // The log is only valid as a prefix: whatever follows a cut (or a gap) cannot be trusted or reached.
                for (var j = i + 1; j < bases.Count; j++)
                {
                    var later = Segment.Open(storage, SegmentFiles.LogPath(directory, bases[j]), bases[j], settings.IndexIntervalBytes);
                    later.Delete();
                    LogEvents.DeletedAfterTruncation(logger, topic, id, Path.GetFileName(later.LogPath));
                }
                storage.SyncDirectory(directory);
                break;
            }
        }
        LogEvents.Recovered(logger, topic, id, segments[0].BaseOffset, segments[^1].NextOffset, scanned);
    }
}

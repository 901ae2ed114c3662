using Microsoft.Extensions.Logging;

namespace EdgeStream.Log.Diagnostics;

/// <summary>The log's structured log lines, with stable event ids (1000-1099).</summary>
internal static partial class LogEvents
{
    [LoggerMessage(1000, LogLevel.Information, "Opened log at {DataDirectory}: {Topics} topics, {Partitions} partitions, commit policy {CommitPolicy}")]
    public static partial void Opened(ILogger logger, string dataDirectory, int topics, int partitions, string commitPolicy);

    [LoggerMessage(1001, LogLevel.Warning, "Recovery truncated {Topic}/{Partition} segment {Segment} at byte {Position} ({BytesCut} bytes cut, next offset {NextOffset}): {Reason}")]
    public static partial void Truncated(ILogger logger, string topic, int partition, string segment, long position, long bytesCut, long nextOffset, string reason);

    [LoggerMessage(1002, LogLevel.Warning, "Recovery deleted segment {Segment} of {Topic}/{Partition}: it follows a truncated segment")]
    public static partial void DeletedAfterTruncation(ILogger logger, string topic, int partition, string segment);

    [LoggerMessage(1003, LogLevel.Warning, "Segment {Segment} of {Topic}/{Partition}: {Problem}")]
    public static partial void IndexRebuilt(ILogger logger, string topic, int partition, string segment, string problem);

    [LoggerMessage(1004, LogLevel.Information, "Recovered {Topic}/{Partition}: offsets {StartOffset}..{NextOffset}, scanned {ScannedBytes} bytes from the recovery point")]
    public static partial void Recovered(ILogger logger, string topic, int partition, long startOffset, long nextOffset, long scannedBytes);

    [LoggerMessage(1030, LogLevel.Error, "Damaged data in {Topic}/{Partition} segment {Segment} bytes {Position}..{EndPosition}: offsets {FirstOffset}..{EndOffset} (exclusive) are skipped and never served: {Reason}")]
    public static partial void CorruptSkipped(ILogger logger, string topic, int partition, string segment, long position, long endPosition, long firstOffset, long endOffset, string reason);

    [LoggerMessage(1031, LogLevel.Error, "Partition {Topic}/{Partition} parked (Log:OnCorruption = stop-partition): its reads and appends fail until the log is reopened")]
    public static partial void PartitionParked(ILogger logger, string topic, int partition);

    [LoggerMessage(1032, LogLevel.Warning, "Recovery of {Topic}/{Partition} segment {Segment} kept the data after damage at byte {Position} below the recovery point (resumed at byte {ResumePosition}): {Reason}")]
    public static partial void RecoveryKeptAfterDamage(ILogger logger, string topic, int partition, string segment, long position, long resumePosition, string reason);

    [LoggerMessage(1010, LogLevel.Information, "Retention deleted {Segments} segments ({Bytes} bytes, offsets below {NewStartOffset}) of {Topic}/{Partition}: {Reason}")]
    public static partial void RetentionDeleted(ILogger logger, string topic, int partition, int segments, long bytes, long newStartOffset, string reason);

    [LoggerMessage(1012, LogLevel.Warning, "Retention pass failed; it runs again at the next interval")]
    public static partial void RetentionFailed(ILogger logger, Exception exception);

    [LoggerMessage(1011, LogLevel.Warning, "Disk budget full: dropped segment of {Topic}/{Partition} holding offsets below {NewStartOffset} ({Records} records, {Bytes} bytes)")]
    public static partial void DroppedOldest(ILogger logger, string topic, int partition, long newStartOffset, long records, long bytes);

    [LoggerMessage(1020, LogLevel.Error, "Partition {Topic}/{Partition} failed; it accepts no appends until it has reopened from disk")]
    public static partial void PartitionFailed(ILogger logger, Exception exception, string topic, int partition);

    [LoggerMessage(1021, LogLevel.Warning, "Could not write the recovery checkpoint of {Topic}/{Partition}; the next recovery scans more")]
    public static partial void CheckpointFailed(ILogger logger, Exception exception, string topic, int partition);

    [LoggerMessage(1022, LogLevel.Warning, "Could not trim the preallocated tail of {Topic}/{Partition} at close; the next open treats it as the clean end")]
    public static partial void TrimFailed(ILogger logger, Exception exception, string topic, int partition);

    [LoggerMessage(1040, LogLevel.Warning, "Partition {Topic}/{Partition} reopened from disk after {FailedFor} failed ({Error}); appends resume at offset {NextOffset}")]
    public static partial void PartitionReopened(ILogger logger, string topic, int partition, long nextOffset, TimeSpan failedFor, string error);

    [LoggerMessage(1041, LogLevel.Error, "Reopening failed partition {Topic}/{Partition} failed (attempt {Attempt}); retrying with backoff")]
    public static partial void ReopenFailed(ILogger logger, Exception exception, string topic, int partition, int attempt);

    [LoggerMessage(1042, LogLevel.Warning, "Cursor {Cursor} on {Topic}/{Partition} was not committed for {Idle} and no configured sink uses it: deleted, it no longer holds back retention (it was at offset {NextOffset})")]
    public static partial void CursorExpired(ILogger logger, string cursor, string topic, int partition, TimeSpan idle, long nextOffset);

    [LoggerMessage(1043, LogLevel.Information, "Cursor {Cursor} deleted on {Topic}/{Partition} (it was at offset {NextOffset})")]
    public static partial void CursorDeleted(ILogger logger, string cursor, string topic, int partition, long nextOffset);

    [LoggerMessage(1044, LogLevel.Warning, "Retention of {Topic}/{Partition} is blocked by cursor {Cursor} at offset {NextOffset}: {Bytes} bytes it has not consumed cannot be deleted; delete or advance the cursor if its consumer is gone")]
    public static partial void RetentionBlocked(ILogger logger, string topic, int partition, string cursor, long nextOffset, long bytes);

    [LoggerMessage(1045, LogLevel.Information, "Retention of {Topic}/{Partition} is no longer blocked by a cursor")]
    public static partial void RetentionUnblocked(ILogger logger, string topic, int partition);

    [LoggerMessage(1046, LogLevel.Error, "Cursor file {File} of cursor {Cursor} on {Topic}/{Partition} is damaged ({Problem}) and ignored: that consumer starts as if it had never committed (its start position setting applies); commit or delete the cursor to replace the file")]
    public static partial void CursorFileCorrupt(ILogger logger, string cursor, string topic, int partition, string file, string problem);
}

namespace EdgeStream.Log;

/// <summary>Base of the log's own errors.</summary>
public class LogException : IOException
{
    /// <summary>Creates the exception.</summary>
    public LogException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// The disk budget is exhausted and the topic's policy is <see cref="DiskFullPolicy.Reject"/> (or nothing could be
/// dropped). Nothing of the failed append was stored; everything stored before is intact. Ingest maps this to
/// MQTT 5 reason code 0x97 (quota exceeded) and HTTP 507.
/// </summary>
public sealed class LogFullException : LogException
{
    /// <summary>Creates the exception.</summary>
    public LogFullException(string topic, string reason, Exception? inner = null)
        : base($"Log full: append to topic '{topic}' refused: {reason}", inner)
    {
        Topic = topic;
        Reason = reason;
    }

    /// <summary>The topic whose append was refused.</summary>
    public string Topic { get; }

    /// <summary>Which limit was hit.</summary>
    public string Reason { get; }
}

/// <summary>
/// A partition stopped accepting appends after a write or fsync failed: what was acknowledged durable stays
/// durable, but nothing after the failure is trusted. The partition reopens itself from disk (recovery, cutting what
/// was never fsynced) with backoff and then accepts appends again; until then appends and durability waits get this.
/// </summary>
public sealed class PartitionFailedException : LogException
{
    /// <summary>Creates the exception.</summary>
    public PartitionFailedException(string topic, int partition, Exception cause)
        : base($"Partition {topic}/{partition} failed and accepts no more appends until reopened: {cause.Message}", cause) { }
}

/// <summary>Stored bytes failed their checksum or structure check. The corrupt batch is never returned.</summary>
public sealed class CorruptBatchException : LogException
{
    /// <summary>Creates the exception.</summary>
    public CorruptBatchException(string file, long position, string reason)
        : base($"Corrupt batch in {file} at byte {position}: {reason}")
    {
        File = file;
        Position = position;
    }

    /// <summary>The segment file.</summary>
    public string File { get; }

    /// <summary>Byte position of the batch.</summary>
    public long Position { get; }
}

/// <summary>
/// The partition found damaged data and <c>Log:OnCorruption</c> is <c>stop-partition</c>: its reads and appends fail
/// until an operator acts (and the log is reopened); every other partition keeps running.
/// </summary>
public sealed class PartitionParkedException : LogException
{
    /// <summary>Creates the exception.</summary>
    public PartitionParkedException(string topic, int partition, CorruptRange damage)
        : base($"Partition {topic}/{partition} is parked (Log:OnCorruption = stop-partition): offsets {damage.FirstOffset}..{damage.EndOffset - 1} in {damage.Segment} at byte {damage.Position} are damaged: {damage.Reason}")
    {
        Damage = damage;
    }

    /// <summary>The damage that parked the partition.</summary>
    public CorruptRange Damage { get; }
}

/// <summary>A new topic was refused because the log holds <see cref="LogOptions.MaxTopics"/> already; nothing was stored.</summary>
public sealed class TopicLimitException : LogException
{
    /// <summary>Creates the exception.</summary>
    public TopicLimitException(string topic, int limit)
        : base($"Topic '{topic}' was not created: the log holds Log:MaxTopics ({limit}) topics already.") { }
}

/// <summary>An unknown topic or partition was named (and the topic cannot be auto-created here).</summary>
public sealed class UnknownTopicException : LogException
{
    /// <summary>Creates the exception.</summary>
    public UnknownTopicException(string topic, int? partition = null)
        : base(partition is null ? $"Unknown topic '{topic}'." : $"Unknown partition {topic}/{partition}.") { }
}

namespace EdgeStream.Forwarding;

/// <summary>A point-in-time snapshot of every sink. Immutable.</summary>
/// <param name="Sinks">One entry per configured sink.</param>
public sealed record ForwardingStatus(IReadOnlyList<SinkStatus> Sinks);

/// <summary>The state of one sink. Immutable.</summary>
/// <param name="Name">Sink name.</param>
/// <param name="Type">Sink type.</param>
/// <param name="State">Connectivity state.</param>
/// <param name="LastError">The last send error, or <c>null</c> if none since start.</param>
/// <param name="LastErrorAt">When <paramref name="LastError"/> happened.</param>
/// <param name="LastSuccessAt">When upstream last acknowledged a batch, or <c>null</c>.</param>
/// <param name="SentRecords">Records acknowledged since start.</param>
/// <param name="SentBytes">Payload bytes acknowledged since start.</param>
/// <param name="Partitions">Per-partition cursor and lag.</param>
public sealed record SinkStatus(
    string Name,
    string Type,
    SinkState State,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    DateTimeOffset? LastSuccessAt,
    long SentRecords,
    long SentBytes,
    IReadOnlyList<PartitionStatus> Partitions);

/// <summary>One (sink, topic, partition) loop. Immutable.</summary>
/// <param name="Topic">Log topic.</param>
/// <param name="Partition">Partition.</param>
/// <param name="CommittedOffset">The sink's durable cursor: where forwarding resumes after a restart or a crash.</param>
/// <param name="AcknowledgedOffset">
/// Everything below is confirmed upstream; ahead of <paramref name="CommittedOffset"/> by what the cursor's next commit
/// (at most one per <c>Forwarding:CursorCommitInterval</c>) will cover.
/// </param>
/// <param name="EndOffset">One past the last durable record.</param>
/// <param name="Fault">
/// Why the loop is faulted (an error outside the sink's send, e.g. a corrupt stored batch or a dead-letter topic that
/// cannot be written), or <c>null</c> while it runs. A faulted loop retries with capped backoff; other loops carry on.
/// </param>
/// <param name="FaultedAt">When the loop faulted, or <c>null</c>.</param>
/// <param name="Faults">How many times the loop has faulted since start.</param>
public sealed record PartitionStatus(string Topic, int Partition, long CommittedOffset, long AcknowledgedOffset, long EndOffset, string? Fault = null, DateTimeOffset? FaultedAt = null, long Faults = 0)
{
    /// <summary>True while the loop is faulted.</summary>
    public bool Faulted => Fault is not null;

    /// <summary>Records not yet confirmed upstream.</summary>
    public long LagRecords => Math.Max(0, EndOffset - AcknowledgedOffset);
}

/// <summary>Connectivity state of a sink.</summary>
public enum SinkState
{
    /// <summary>The last send succeeded (or none has failed yet).</summary>
    Connected = 0,

    /// <summary>A send failed; retrying after an exponential, jittered delay.</summary>
    Backoff = 1,

    /// <summary>The circuit breaker is open: sends fail fast until the next probe.</summary>
    Open = 2,

    /// <summary>Paused by the operator.</summary>
    Paused = 3,

    /// <summary>
    /// Upstream refused the sink itself (credentials, permissions, wrong URL, redirect): misconfiguration. Retrying with
    /// capped backoff; nothing is dead-lettered for it.
    /// </summary>
    Rejected = 4,

    /// <summary>The sink's client reports upstream unreachable (e.g. every Kafka broker down), even if no send failed yet.</summary>
    Disconnected = 5,
}

using System.Buffers;

namespace EdgeStream.Processing.Engine;

/// <summary>
/// The pure, deterministic core of one rule: fed input records in log order, it updates its state and emits outputs.
/// It does no I/O and reads no clock of its own: event time comes from the records, processing time from
/// <see cref="CollectIdleKeys"/>'s argument. The same sequence of calls always produces the same outputs, which is what
/// lets the runtime rebuild it from a snapshot plus a replay of the input and get exactly-once results.
/// Not thread-safe: one runtime loop owns it.
/// </summary>
internal interface IRuleEvaluator
{
    /// <summary>The rule's id from configuration.</summary>
    string RuleId { get; }

    /// <summary>
    /// Processes one record. Records of one (topic, partition) arrive in offset order. Records that are not JSON, lack
    /// a field, have a group key over the rule's MaxKeyBytes, or fail an expression are counted in <see cref="RuleStats.Skipped"/> and produce no output; this never throws
    /// for bad data.
    /// </summary>
    /// <param name="input">The record.</param>
    /// <param name="processingTime">Monotonic processing time (e.g. <c>TimeProvider.GetElapsedTime</c> since start) when
    /// the record was handed over; used only to track idleness per key, never to decide a window's contents.</param>
    /// <param name="outputs">Receives the outputs, in emission order.</param>
    void OnRecord(in RuleInput input, TimeSpan processingTime, List<RuleOutput> outputs);

    /// <summary>Keys (group-by keys) that have open windows and have seen no record for longer than the rule's idle
    /// timeout at <paramref name="processingTime"/>. Reading this changes nothing.</summary>
    IReadOnlyList<string> CollectIdleKeys(TimeSpan processingTime);

    /// <summary>
    /// Closes and emits every open window of the given keys as if their watermark had passed them (the idle-timeout
    /// decision). Deterministic given the keys, so the runtime can record the decision and repeat it on replay.
    /// </summary>
    void CloseKeys(IReadOnlyList<string> keys, List<RuleOutput> outputs);

    /// <summary>Counters and state sizes.</summary>
    RuleStats Stats { get; }

    /// <summary>Writes the complete state (windows, aggregates, watermarks, alert states, counters) in a versioned binary form.</summary>
    void WriteSnapshot(IBufferWriter<byte> writer);

    /// <summary>Replaces the state with a snapshot written by <see cref="WriteSnapshot"/> of the same rule definition.</summary>
    /// <exception cref="InvalidDataException">The snapshot is damaged, of another version, or of a different rule definition.</exception>
    void RestoreSnapshot(ReadOnlySpan<byte> snapshot);
}

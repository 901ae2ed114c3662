namespace EdgeStream.Processing.Engine;

/// <summary>One record a rule emits.</summary>
/// <param name="Topic">Destination log topic: the rule's <c>To</c> topic, its alerts topic or its late/side topic.</param>
/// <param name="Id">Deterministic id, <c>rule/key/window-start/revision</c> for window results (for per-record stages,
/// <c>rule/input-topic/partition/offset</c>): the same input always yields the same id, so the runtime and upstream
/// can drop duplicates.</param>
/// <param name="Key">Output key (the group-by key), or <c>null</c>.</param>
/// <param name="Value">Output value, UTF-8 JSON.</param>
/// <param name="Timestamp">Event time of the output (window end for window results).</param>
internal sealed record RuleOutput(string Topic, string Id, ReadOnlyMemory<byte>? Key, ReadOnlyMemory<byte> Value, DateTimeOffset Timestamp);

namespace EdgeStream.Processing.Engine;

/// <summary>One input record as a rule sees it: where it sits in the log and its bytes.</summary>
/// <param name="Topic">Input log topic.</param>
/// <param name="Partition">Input partition.</param>
/// <param name="Offset">Offset in that partition.</param>
/// <param name="LogTimestamp">The log's timestamp of the record (used when the rule names no event-time field).</param>
/// <param name="Key">Record key, or <c>null</c>.</param>
/// <param name="Value">Record value (JSON for the records rules understand).</param>
internal readonly record struct RuleInput(string Topic, int Partition, long Offset, DateTimeOffset LogTimestamp, ReadOnlyMemory<byte>? Key, ReadOnlyMemory<byte> Value);

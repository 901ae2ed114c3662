namespace EdgeStream.Processing.Engine;

/// <summary>Counters and sizes of one rule's evaluator, read by status and metrics. Totals since the evaluator was created
/// (or restored: restored counters continue from the snapshot).</summary>
internal sealed record RuleStats(
    long RecordsIn,
    long RecordsOut,
    long Skipped,
    long Late,
    long Clamped,
    int Keys,
    int OpenWindows,
    long StateBytes);

namespace EdgeStream.Processing.Engine;

/// <summary>Counters and sizes of one rule's evaluator, read by status and metrics. Totals since the evaluator was created
/// (or restored: restored counters continue from the snapshot). <c>EvictedKeys</c>/<c>EvictedWindows</c> count what the
/// MaxKeys and MaxOpenWindows bounds closed or dropped, since this evaluator was created.</summary>
internal sealed record RuleStats(
    long RecordsIn,
    long RecordsOut,
    long Skipped,
    long Late,
    long Clamped,
    int Keys,
    int OpenWindows,
    long StateBytes,
    long EvictedKeys = 0,
    long EvictedWindows = 0);

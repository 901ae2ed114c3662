namespace EdgeStream.Processing.Engine;

/// <summary>Counters and sizes of one rule's evaluator, read by status and metrics. Totals since the evaluator was created
/// (or restored: restored counters continue from the snapshot). <c>EvictedKeys</c>/<c>EvictedWindows</c> count what the
/// MaxKeys and MaxOpenWindows bounds closed or dropped, since this evaluator was created. <c>StateBytes</c> is an
/// estimate that counts the group keys' strings (live keys and tombstones) at their size. <c>SkippedKeyTooLong</c>
/// counts the records among <c>Skipped</c> whose group key was over <c>MaxKeyBytes</c>, since this evaluator was
/// created or restored (it is not in the snapshot; the runtime only uses it to report them).</summary>
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
    long EvictedWindows = 0,
    long SkippedKeyTooLong = 0);

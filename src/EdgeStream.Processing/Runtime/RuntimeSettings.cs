namespace EdgeStream.Processing.Runtime;

/// <summary>The runtime knobs a <see cref="RuleRunner"/> uses (from <c>ProcessingRuntimeOptions</c>). Immutable.</summary>
internal sealed record RuntimeSettings(
    string StateDirectory,
    TimeSpan SnapshotInterval,
    int MaxBatchRecords,
    TimeSpan IdleCheckInterval,
    TimeSpan RestartDelay,
    TimeSpan MaxRestartDelay);

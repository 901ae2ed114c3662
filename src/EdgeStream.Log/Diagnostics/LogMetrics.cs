using System.Diagnostics.Metrics;

namespace EdgeStream.Log.Diagnostics;

/// <summary>The log's instruments on meter <c>EdgeStream.Log</c>. Thread-safe (instruments are).</summary>
internal sealed class LogMetrics : IDisposable
{
    public const string MeterName = "EdgeStream.Log";
    private readonly Meter _meter = new(MeterName);

    public LogMetrics()
    {
        AppendedRecords = _meter.CreateCounter<long>("edgestream.log.appended.records", "{record}", "Records appended.");
        AppendedBytes = _meter.CreateCounter<long>("edgestream.log.appended.bytes", "By", "Batch bytes appended.");
        FsyncDuration = _meter.CreateHistogram<double>("edgestream.log.fsync.duration", "ms", "Time of one partition flush (fsync of log and indexes).");
        DroppedSegments = _meter.CreateCounter<long>("edgestream.log.dropped.segments", "{segment}", "Segments deleted by retention or the disk budget, by reason.");
        DroppedRecords = _meter.CreateCounter<long>("edgestream.log.dropped.records", "{record}", "Records deleted by retention or the disk budget, by reason.");
        Rejected = _meter.CreateCounter<long>("edgestream.log.rejected.appends", "{append}", "Appends refused because the disk budget was full.");
        CorruptBatches = _meter.CreateCounter<long>("edgestream.log.corrupt.batches", "{batch}", "Damaged batches (or segment gaps) readers skip, each counted once.");
        CorruptSkippedRecords = _meter.CreateCounter<long>("edgestream.log.corrupt.skipped.records", "{record}", "Records never served because their batch is damaged.");
        TruncatedBytes = _meter.CreateCounter<long>("edgestream.log.recovery.truncated.bytes", "By", "Bytes cut by recovery (torn or corrupt tails).");
        PartitionFailures = _meter.CreateCounter<long>("edgestream.log.partition.failures", "{failure}", "Partitions failed by a write or fsync error (each then reopens itself).");
        PartitionReopens = _meter.CreateCounter<long>("edgestream.log.partition.reopens", "{reopen}", "Failed partitions reopened from disk successfully.");
    }

    public Counter<long> AppendedRecords { get; }
    public Counter<long> AppendedBytes { get; }
    public Histogram<double> FsyncDuration { get; }
    public Counter<long> DroppedSegments { get; }
    public Counter<long> DroppedRecords { get; }
    public Counter<long> Rejected { get; }
    public Counter<long> TruncatedBytes { get; }
    public Counter<long> CorruptBatches { get; }
    public Counter<long> CorruptSkippedRecords { get; }
    public Counter<long> PartitionFailures { get; }
    public Counter<long> PartitionReopens { get; }

    public void ObservePartitionFailed(Func<IEnumerable<Measurement<int>>> observe)
        => _meter.CreateObservableGauge("edgestream.log.partition.failed", observe, "{partition}", "1 while the partition is failed (refusing appends, reopening), else 0.");

    public void ObserveRetentionBlocked(Func<IEnumerable<Measurement<long>>> observe)
        => _meter.CreateObservableGauge("edgestream.log.retention.blocked.bytes", observe, "By", "Bytes retention or the full disk budget would delete but a cursor has not consumed, by cursor.");

    public void ObserveTopicSizes(Func<IEnumerable<Measurement<long>>> observe)
        => _meter.CreateObservableGauge("edgestream.log.topic.bytes", observe, "By", "Bytes on disk per topic.");

    /// <summary>Publishes partitions per topic, the bytes the log holds and, when set, its disk budget.</summary>
    public void ObserveStore(Func<IEnumerable<Measurement<long>>> partitions, Func<long> usedBytes, long? budgetBytes)
    {
        _meter.CreateObservableGauge("edgestream.log.partitions", partitions, "{partition}", "Partitions per topic.");
        _meter.CreateObservableGauge("edgestream.log.disk.used", usedBytes, "By", "Bytes the log holds on disk (counted against the disk budget).");
        if (budgetBytes is { } budget)
        {
            _meter.CreateObservableGauge("edgestream.log.disk.budget", () => budget, "By", "The disk budget, Log:MaxDiskBytes.");
        }
    }

    public void Dispose() => _meter.Dispose();
}

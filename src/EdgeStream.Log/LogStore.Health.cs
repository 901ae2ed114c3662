using System.Diagnostics.Metrics;

namespace EdgeStream.Log;

/// <summary>Health of the partitions: which are failed and since when; the metrics that say so.</summary>
public sealed partial class LogStore
{
    /// <summary>How long a partition may stay failed before the host should restart (<see cref="LogOptions.FailedPartitionGrace"/>).</summary>
    public TimeSpan FailedPartitionGrace => _options.FailedPartitionGrace;

    /// <summary>
    /// The partitions failed right now (a write or fsync error; each reopens itself from disk with backoff and accepts
    /// appends again once that succeeds). Empty when all work. Thread-safe.
    /// </summary>
    public IReadOnlyList<PartitionFailure> GetFailedPartitions()
        => [.. _topics.Values.OrderBy(t => t.Name, StringComparer.Ordinal)
            .SelectMany(t => t.Partitions)
            .Select(p => p.Failure)
            .OfType<PartitionFailure>()];

    private void ObserveHealth()
    {
        _metrics.ObservePartitionFailed(() => _topics.Values.SelectMany(t => t.Partitions).Select(p =>
            new Measurement<int>(p.Failure is null ? 0 : 1,
                new KeyValuePair<string, object?>("topic", p.Topic),
                new KeyValuePair<string, object?>("partition", p.Id))));
        _metrics.ObserveRetentionBlocked(ObserveBlocked);
    }
}

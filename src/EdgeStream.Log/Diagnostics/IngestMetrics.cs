using System.Diagnostics.Metrics;

namespace EdgeStream.Log.Diagnostics;

/// <summary>
/// Instruments of meter <c>EdgeStream.Ingest</c>, every series tagged by ingest <c>source</c>: records and bytes
/// appended, failed appends and durability waits (tag <c>reason</c>), and the time sources wait for durability.
/// Thread-safe (instruments are).
/// </summary>
internal sealed class IngestMetrics : IDisposable
{
    public const string MeterName = "EdgeStream.Ingest";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _records;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _durableWait;

    public IngestMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _records = _meter.CreateCounter<long>("edgestream.ingest.records", "{record}", "Records appended to the log by ingest, by source.");
        _bytes = _meter.CreateCounter<long>("edgestream.ingest.bytes", "By", "Key, value and header bytes of the records ingest appended, by source.");
        _errors = _meter.CreateCounter<long>("edgestream.ingest.append.errors", "{error}", "Ingest appends and durability waits that failed (nothing acknowledged), by source and reason.");
        _durableWait = _meter.CreateHistogram<double>("edgestream.ingest.durable.wait.duration", "ms", "Time an ingest source waited for appended records to become durable, by source.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500] });
    }

    public Meter Meter => _meter;

    /// <summary>Publishes the source's series at zero, so they exist before its first record.</summary>
    public void Register(KeyValuePair<string, object?> source)
    {
        _records.Add(0, source);
        _bytes.Add(0, source);
    }

    public void Appended(KeyValuePair<string, object?> source, int records, long bytes)
    {
        _records.Add(records, source);
        _bytes.Add(bytes, source);
    }

    public void Failed(KeyValuePair<string, object?> source, string reason)
        => _errors.Add(1, source, new KeyValuePair<string, object?>("reason", reason));

    public void DurableWait(KeyValuePair<string, object?> source, TimeSpan waited)
        => _durableWait.Record(waited.TotalMilliseconds, source);

    /// <summary>The <c>reason</c> an ingest error is counted under; <c>null</c> for a cancellation (not an error).</summary>
    public static string? Reason(Exception e) => e switch
    {
        OperationCanceledException => null,
        LogFullException => "log_full",
        PartitionFailedException => "partition_failed",
        PartitionParkedException => "partition_parked",
        UnknownTopicException => "unknown_topic",
        TopicLimitException => "topic_limit",
        ArgumentException => "invalid",
        ObjectDisposedException => "log_closed",
        _ => "other",
    };

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}

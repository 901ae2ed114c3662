using System.Diagnostics.Metrics;

namespace EdgeStream.Forwarding;

/// <summary>
/// The <c>EdgeStream.Forwarding</c> meter: sent records/bytes, dead-lettered records and loop faults (counters), and,
/// observed from the engine's status, per-partition lag in records and bytes and whether the loop is faulted, seconds
/// since the last acknowledged batch and sink state.
/// Lag bytes is an estimate: lag records × the partition's average stored record size. Thread-safe.
/// </summary>
internal sealed class ForwardingMetrics : IDisposable
{
    public const string MeterName = "EdgeStream.Forwarding";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _sentRecords;
    private readonly Counter<long> _sentBytes;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _loopFaults;

    public ForwardingMetrics(IMeterFactory? meterFactory, Func<ForwardingEngine.Observation> observe, TimeProvider time)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _sentRecords = _meter.CreateCounter<long>("edgestream.forwarding.sent.records", "{record}", "Records acknowledged by upstream.");
        _sentBytes = _meter.CreateCounter<long>("edgestream.forwarding.sent.bytes", "By", "Payload bytes acknowledged by upstream.");
        _deadLettered = _meter.CreateCounter<long>("edgestream.forwarding.dead_lettered.records", "{record}", "Records upstream refused for good, moved to <topic>.dlq.");
        _meter.CreateObservableGauge("edgestream.forwarding.lag.records", () => Partitions(observe(), bytes: false), "{record}", "Records not yet confirmed upstream.");
        _meter.CreateObservableGauge("edgestream.forwarding.lag.bytes", () => Partitions(observe(), bytes: true), "By", "Estimated bytes not yet confirmed upstream.");
        _meter.CreateObservableGauge("edgestream.forwarding.since_last_success", () => SinceSuccess(observe(), time), "s", "Seconds since upstream last acknowledged a batch.");
        _meter.CreateObservableGauge("edgestream.forwarding.sink.state", () => States(observe()), "{state}", "0 connected, 1 backoff, 2 circuit open, 3 paused, 4 rejected (misconfigured), 5 disconnected.");
        _loopFaults = _meter.CreateCounter<long>("edgestream.forwarding.loop.faults", "{fault}", "Times a forwarding loop faulted (error outside the upstream send) and was restarted.");
        _meter.CreateObservableGauge("edgestream.dlq.records", () => DeadLetters(observe(), bytes: false), "{record}", "Records kept in a dead-letter topic (until requeued or purged).");
        _meter.CreateObservableGauge("edgestream.dlq.bytes", () => DeadLetters(observe(), bytes: true), "By", "Bytes on disk of a dead-letter topic.");
        _meter.CreateObservableGauge("edgestream.forwarding.loop.faulted", () => Faulted(observe()), "{loop}", "1 while the (sink, topic, partition) loop is faulted and retrying, else 0.");
    }

    public void Sent(string sink, string topic, int records, long bytes)
    {
        var tags = new KeyValuePair<string, object?>[] { new("sink", sink), new("topic", topic) };
        _sentRecords.Add(records, tags);
        _sentBytes.Add(bytes, tags);
    }

    public void DeadLettered(string sink, string topic, int records)
        => _deadLettered.Add(records, new KeyValuePair<string, object?>("sink", sink), new KeyValuePair<string, object?>("topic", topic));

    public void LoopFaulted(string sink, string topic, int partition)
        => _loopFaults.Add(1, new KeyValuePair<string, object?>("sink", sink), new KeyValuePair<string, object?>("topic", topic), new KeyValuePair<string, object?>("partition", partition));

    private static IEnumerable<Measurement<long>> DeadLetters(ForwardingEngine.Observation o, bool bytes)
        => o.Log.GetTopics()
            .Where(t => EdgeStream.Log.TopicSettings.IsDeadLetterTopic(t.Name))
            .Select(t => new Measurement<long>(
                bytes ? t.SizeBytes : t.Partitions.Sum(p => p.NextOffset - p.StartOffset),
                new KeyValuePair<string, object?>("topic", t.Name)));

    private static IEnumerable<Measurement<int>> Faulted(ForwardingEngine.Observation o)
    {
        foreach (var s in o.Status.Sinks)
        {
            foreach (var p in s.Partitions)
            {
                yield return new Measurement<int>(p.Faulted ? 1 : 0, new("sink", s.Name), new("topic", p.Topic), new("partition", p.Partition));
            }
        }
    }

    private static IEnumerable<Measurement<long>> Partitions(ForwardingEngine.Observation o, bool bytes)
    {
        foreach (var s in o.Status.Sinks)
        {
            foreach (var p in s.Partitions)
            {
                var value = bytes ? (long)(p.LagRecords * o.AverageRecordBytes(p.Topic, p.Partition)) : p.LagRecords;
                yield return new Measurement<long>(value, new("sink", s.Name), new("topic", p.Topic), new("partition", p.Partition));
            }
        }
    }

    private static IEnumerable<Measurement<double>> SinceSuccess(ForwardingEngine.Observation o, TimeProvider time)
    {
        var now = time.GetUtcNow();
        foreach (var s in o.Status.Sinks.Where(s => s.LastSuccessAt is not null))
        {
            yield return new Measurement<double>((now - s.LastSuccessAt!.Value).TotalSeconds, new KeyValuePair<string, object?>("sink", s.Name));
        }
    }

    private static IEnumerable<Measurement<int>> States(ForwardingEngine.Observation o)
        => o.Status.Sinks.Select(s => new Measurement<int>((int)s.State, new KeyValuePair<string, object?>("sink", s.Name)));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}

using System.Diagnostics.Metrics;
using EdgeStream.Processing.Runtime;

namespace EdgeStream.Processing.Hosting;

/// <summary>
/// The <c>EdgeStream.Processing</c> meter, every series tagged with the rule id: records in, out (appended), skipped
/// (not JSON, missing field, group key over MaxKeyBytes), late and clamped (observed from the evaluators' counters), duplicates suppressed on
/// replay, faults and snapshots (counters); lag in records, keys, open windows and state bytes, and whether the rule is
/// faulted (gauges). Rules passed to <see cref="Observe"/> show every series from the start. Thread-safe.
/// </summary>
internal sealed class ProcessingMetrics : IDisposable
{
    public const string MeterName = "EdgeStream.Processing";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _appended;
    private readonly Counter<long> _suppressed;
    private readonly Counter<long> _faults;
    private readonly Counter<long> _snapshots;
    private Func<IReadOnlyList<RuleRunner>> _rules = () => [];

    public ProcessingMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _appended = _meter.CreateCounter<long>("edgestream.processing.records.out", "{record}", "Output records a rule appended to the log.");
        _suppressed = _meter.CreateCounter<long>("edgestream.processing.duplicates.suppressed", "{record}", "Outputs not appended again after a restart because their id was already in the output topic.");
        _faults = _meter.CreateCounter<long>("edgestream.processing.rule.faults", "{fault}", "Times a rule faulted and was restarted from its snapshot.");
        _snapshots = _meter.CreateCounter<long>("edgestream.processing.snapshots", "{snapshot}", "Snapshots written.");
        _meter.CreateObservableCounter("edgestream.processing.records.in", () => Stat(s => s.RecordsIn), "{record}", "Input records a rule consumed (replays count again).");
        _meter.CreateObservableCounter("edgestream.processing.records.skipped", () => Stat(s => s.Skipped), "{record}", "Input records skipped: not JSON, a missing field, a group key over MaxKeyBytes or a failing expression.");
        _meter.CreateObservableCounter("edgestream.processing.records.late", () => Stat(s => s.Late), "{record}", "Records behind their key's watermark (dropped, side-topic or revised per the rule's Late policy).");
        _meter.CreateObservableCounter("edgestream.processing.records.clamped", () => Stat(s => s.Clamped), "{record}", "Records whose event time was beyond the maximum future skew.");
        _meter.CreateObservableCounter("edgestream.processing.keys.evicted", () => Stat(s => s.EvictedKeys), "{key}", "Keys evicted at the rule's MaxKeys bound (their open windows emitted early).");
        _meter.CreateObservableCounter("edgestream.processing.windows.evicted", () => Stat(s => s.EvictedWindows), "{window}", "Windows closed early or dropped at the rule's MaxOpenWindows bound.");
        _meter.CreateObservableGauge("edgestream.processing.lag.records", () => Rules(r => r.Progress.Lag), "{record}", "Durable input records a rule has not consumed yet.");
        _meter.CreateObservableGauge("edgestream.processing.keys", () => Stat(s => s.Keys), "{key}", "Group-by keys with state.");
        _meter.CreateObservableGauge("edgestream.processing.windows.open", () => Stat(s => s.OpenWindows), "{window}", "Open windows.");
        _meter.CreateObservableGauge("edgestream.processing.state.bytes", () => Stat(s => s.StateBytes), "By", "Estimated bytes of a rule's state (group keys counted at their size).");
        _meter.CreateObservableGauge("edgestream.processing.rule.faulted", () => Rules(r => r.Fault.Reason is null ? 0L : 1L), "{rule}", "1 while the rule is faulted and restarting, else 0.");
    }

    /// <summary>Sets the rules the observable instruments report (every rule from the start, at zero until it runs).</summary>
    public void Observe(Func<IReadOnlyList<RuleRunner>> rules)
    {
        _rules = rules;
        foreach (var r in rules())
        {
            var tag = new KeyValuePair<string, object?>("rule", r.Id);
            _appended.Add(0, tag);
            _suppressed.Add(0, tag);
            _faults.Add(0, tag);
            _snapshots.Add(0, tag);
        }
    }

    public void Appended(string rule, string topic, int records)
        => _appended.Add(records, new KeyValuePair<string, object?>("rule", rule));

    public void Suppressed(string rule, int records) => _suppressed.Add(records, new KeyValuePair<string, object?>("rule", rule));

    public void Faulted(string rule) => _faults.Add(1, new KeyValuePair<string, object?>("rule", rule));

    public void Snapshotted(string rule, int bytes) => _snapshots.Add(1, new KeyValuePair<string, object?>("rule", rule));

    private IEnumerable<Measurement<long>> Rules(Func<RuleRunner, long> value)
        => _rules().Select(r => new Measurement<long>(value(r), new KeyValuePair<string, object?>("rule", r.Id)));

    private IEnumerable<Measurement<long>> Stat(Func<Engine.RuleStats, long> value)
        => _rules().Select(r => new Measurement<long>(r.Progress.Stats is { } s ? value(s) : 0, new KeyValuePair<string, object?>("rule", r.Id)));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}

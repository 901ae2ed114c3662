using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;

namespace EdgeStream.Http.Metrics;

/// <summary>
/// Publishes every System.Diagnostics.Metrics instrument of meters named <c>EdgeStream</c> or <c>EdgeStream.*</c>
/// (EdgeStream.Log, .Mqtt, .Sensors, .Forwarding, .Process, ...) and of .NET's built-in <c>System.Runtime</c> meter in
/// the Prometheus text format, by Prometheus' naming rules: names are the instrument names with dots as underscores
/// (no meter prefix: ours already carry it); values are in base units (<c>ms</c> instruments are exported in seconds)
/// with the unit as a suffix (<c>_seconds</c>, <c>_bytes</c>); counters get <c>_total</c>; tags become labels; HELP
/// is the description without the unit. A counter, up-down counter or histogram is present from its creation, at
/// zero until its first measurement, so a fresh service shows every metric it has. Counts from its creation.
/// Thread-safe.
/// </summary>
/// <remarks>
/// Written instead of prometheus-net's MeterAdapter, which prefixes the meter name (giving
/// <c>edgestream_log_edgestream_log_appended_records</c>), exports counters as gauges and drops series idle for five
/// minutes — so rarely-moving counters such as dropped records would vanish between events.
/// </remarks>
internal sealed class PrometheusExporter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, MetricFamily> _families = new(StringComparer.Ordinal);
    private readonly Lock _scrapeLock = new();

    public PrometheusExporter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (IsOurs(instrument) && Family(instrument) is { } family)
            {
                listener.EnableMeasurementEvents(instrument, family);
            }
        };
        _listener.SetMeasurementEventCallback<byte>((i, m, t, s) => Record(s, m, t));
        _listener.SetMeasurementEventCallback<short>((i, m, t, s) => Record(s, m, t));
        _listener.SetMeasurementEventCallback<int>((i, m, t, s) => Record(s, m, t));
        _listener.SetMeasurementEventCallback<long>((i, m, t, s) => Record(s, m, t));
        _listener.SetMeasurementEventCallback<float>((i, m, t, s) => Record(s, m, t));
        _listener.SetMeasurementEventCallback<double>((i, m, t, s) => Record(s, m, t));
        _listener.SetMeasurementEventCallback<decimal>((i, m, t, s) => Record(s, (double)m, t));
        _listener.Start();
    }

    /// <summary>Observes the observable instruments, then writes every family in the text format.</summary>
    public string Scrape()
    {
        var sb = new StringBuilder();
        // One scrape at a time: observable series are reset and re-observed as a unit.
        lock (_scrapeLock)
        {
            foreach (var family in _families.Values)
            {
                family.ResetObserved();
            }
            try
            {
                _listener.RecordObservableInstruments();
            }
            catch (AggregateException)
            {
                // Every instrument was observed; only the callbacks that threw (a component stopping, say) are missing
                // from this scrape. One failing gauge must not turn the whole page into a 500.
            }
            foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                Write(sb, family);
            }
        }
        return sb.ToString();
    }

    public void Dispose() => _listener.Dispose();

    // Kestrel's connection counts show what Http:MaxConnections refuses; the rest of its meter is left out.
    private static bool IsOurs(Instrument instrument) => instrument.Meter.Name switch
    {
        "EdgeStream" or "System.Runtime" => true,
        "Microsoft.AspNetCore.Server.Kestrel" => instrument.Name is "kestrel.active_connections" or "kestrel.rejected_connections",
        var meter => meter.StartsWith("EdgeStream.", StringComparison.Ordinal),
    };

    private static void Record(object? state, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var family = (MetricFamily)state!;
        family.Record(tags, value * family.Scale);
    }

    private MetricFamily? Family(Instrument instrument)
    {
        var kind = KindOf(instrument);
        if (kind is null)
        {
            return null;
        }
        var (suffix, scale) = PrometheusText.BaseUnit(instrument.Unit);
        var name = PrometheusText.MetricName(instrument.Name);
        if (suffix is not null && !name.EndsWith(suffix, StringComparison.Ordinal) && !name.Contains(suffix + "_", StringComparison.Ordinal))
        {
            name += suffix;
        }
        if (kind is not MetricKind.Counter and not MetricKind.ObservedCounter and not MetricKind.Histogram)
        {
            name = PrometheusText.GaugeName(name, instrument.Unit);
        }
        // promtool wants HELP on every metric; the instrument name is better than nothing.
        var help = string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description;
        var buckets = BucketsOf(instrument)?.Select(b => b * scale).ToArray();
        var family = _families.GetOrAdd(name, n => new MetricFamily(n, kind.Value, help, buckets, scale));
        // Two instruments of different kinds cannot share a name in Prometheus: the first one keeps it.
        return family.Kind == kind ? family : null;
    }

    private static MetricKind? KindOf(Instrument instrument)
    {
        var type = instrument.GetType();
        if (!type.IsGenericType)
        {
            return null;
        }
        var definition = type.GetGenericTypeDefinition();
        return definition == typeof(Counter<>) ? MetricKind.Counter
            : definition == typeof(UpDownCounter<>) ? MetricKind.UpDownCounter
            : definition == typeof(ObservableCounter<>) ? MetricKind.ObservedCounter
            : definition == typeof(ObservableGauge<>) || definition == typeof(ObservableUpDownCounter<>) ? MetricKind.ObservedGauge
            : definition == typeof(Histogram<>) ? MetricKind.Histogram
            : null;
    }

    private static double[]? BucketsOf(Instrument instrument) => instrument switch
    {
        Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray(),
        Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
        Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
        _ => null,
    };

    private static void Write(StringBuilder sb, MetricFamily family)
    {
        var series = family.Snapshot();
        if (series.Count == 0)
        {
            if (family.Kind is MetricKind.ObservedGauge or MetricKind.ObservedCounter)
            {
                // Nothing observed (e.g. no sink configured): there is no value to show.
                return;
            }
            // Created but not yet measured: zero, so dashboards and alerts see the series from the start.
            series = [(string.Empty, 0, 0, family.Kind == MetricKind.Histogram ? new long[family.Buckets.Length + 1] : null)];
        }
        var counter = family.Kind is MetricKind.Counter or MetricKind.ObservedCounter;
        var name = counter && !family.Name.EndsWith("_total", StringComparison.Ordinal) ? family.Name + "_total" : family.Name;
        var type = family.Kind switch
        {
            MetricKind.Counter or MetricKind.ObservedCounter => "counter",
            MetricKind.Histogram => "histogram",
            _ => "gauge",
        };
        sb.Append("# HELP ").Append(name).Append(' ').Append(PrometheusText.Help(family.Help)).Append('\n');
        sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        foreach (var (labels, value, count, buckets) in series)
        {
            if (buckets is null)
            {
                Sample(sb, name, labels, null, value);
                continue;
            }
            long cumulative = 0;
            for (var i = 0; i < buckets.Length; i++)
            {
                cumulative += buckets[i];
                var le = i < family.Buckets.Length ? PrometheusText.Number(family.Buckets[i]) : "+Inf";
                Sample(sb, name + "_bucket", labels, $"le=\"{le}\"", cumulative);
            }
            Sample(sb, name + "_sum", labels, null, value);
            Sample(sb, name + "_count", labels, null, count);
        }
    }

    private static void Sample(StringBuilder sb, string name, string labels, string? extra, double value)
    {
        sb.Append(name);
        if (labels.Length > 0 || extra is not null)
        {
            sb.Append('{').Append(labels);
            if (extra is not null)
            {
                sb.Append(labels.Length > 0 ? "," : "").Append(extra);
            }
            sb.Append('}');
        }
        sb.Append(' ').Append(PrometheusText.Number(value)).Append('\n');
    }
}

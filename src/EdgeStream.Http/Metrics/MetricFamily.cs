using System.Diagnostics.Metrics;

namespace EdgeStream.Http.Metrics;

/// <summary>
/// The aggregated series of one Prometheus metric, fed by every <see cref="Instrument"/> with that name (a log reopened
/// in the same process, or several meters of one kind, keep adding to the same counter). Thread-safe. A measurement of a
/// known tag set takes no lock (ingest records several per message from every connection's thread); only a new tag set
/// and a scrape do.
/// </summary>
internal sealed class MetricFamily
{
    // OpenTelemetry's default histogram boundaries (meant for milliseconds); instruments may advise their own.
    private static readonly double[] DefaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Series> _series = new(StringComparer.Ordinal);

    // The last few tag sets measured and their series, searched in order. One family's measurements nearly always
    // repeat a handful of tag sets, so a measurement finds its series without making its label text (a sort, escaping
    // and a string per measurement: 2.7 % of the CPU at 10,000 MQTT msg/s). Other tag sets make the text.
    // A slot holds tags and series as one object, so a reader without the lock never pairs one set's tags with
    // another's series.
    private const int RecentTagSets = 8;
    private readonly RecentTagSet?[] _recent = new RecentTagSet?[RecentTagSets];
    private int _recentNext;

    public MetricFamily(string name, MetricKind kind, string help, double[]? buckets, double scale = 1)
    {
        Scale = scale;
        Name = name;
        Kind = kind;
        Help = help;
        Buckets = kind == MetricKind.Histogram ? buckets ?? [.. DefaultBuckets.Select(b => b * scale)] : [];
    }

    public string Name { get; }

    public MetricKind Kind { get; }

    public string Help { get; }

    public double[] Buckets { get; }

    /// <summary>Factor from the instrument's unit to the exported base unit (0.001 for milliseconds).</summary>
    public double Scale { get; }

    /// <summary>Applies one measurement: adds (counters), replaces (observed values) or observes (histograms).</summary>
    public void Record(ReadOnlySpan<KeyValuePair<string, object?>> tags, double value)
    {
        var s = RecentSeries(tags);
        if (s is null)
        {
            lock (_lock)
            {
                s = RecentSeries(tags) ?? NewSeriesLocked(tags);
            }
        }
        switch (Kind)
        {
            case MetricKind.Counter or MetricKind.UpDownCounter:
                AddAtomically(ref s.Value, value);
                break;
            case MetricKind.ObservedCounter or MetricKind.ObservedGauge:
                Volatile.Write(ref s.Value, value);
                break;
            case MetricKind.Histogram:
                var i = Array.BinarySearch(Buckets, value);
                // Bucket i counts values <= Buckets[i]; the extra last slot is +Inf. The count is the buckets' total
                // (see Snapshot), so a scrape never shows a count that disagrees with the +Inf bucket.
                Interlocked.Increment(ref s.BucketCounts![i >= 0 ? i : ~i]);
                AddAtomically(ref s.Value, value);
                break;
        }
    }

    private Series? RecentSeries(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var recent in _recent)
        {
            if (recent is not null && SameTags(tags, recent.Tags))
            {
                return recent.Series;
            }
        }
        return null;
    }

    private Series NewSeriesLocked(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // The same labels in another tag order land in the same series.
        var labels = PrometheusText.Labels(tags);
        if (!_series.TryGetValue(labels, out var s))
        {
            s = new Series(Kind == MetricKind.Histogram ? new long[Buckets.Length + 1] : null);
            _series[labels] = s;
        }
        Volatile.Write(ref _recent[_recentNext], new RecentTagSet(tags.ToArray(), s));
        _recentNext = (_recentNext + 1) % RecentTagSets;
        return s;
    }

    private static void AddAtomically(ref double target, double value)
    {
        var seen = Volatile.Read(ref target);
        while (true)
        {
            var found = Interlocked.CompareExchange(ref target, seen + value, seen);
            // Compared as bits: the exchange is a 64-bit compare, and NaN never equals itself as a double.
            if (BitConverter.DoubleToInt64Bits(found) == BitConverter.DoubleToInt64Bits(seen))
            {
                return;
            }
            seen = found;
        }
    }

    private static bool SameTags(ReadOnlySpan<KeyValuePair<string, object?>> tags, KeyValuePair<string, object?>[] known)
    {
        if (tags.Length != known.Length)
        {
            return false;
        }
        for (var i = 0; i < tags.Length; i++)
        {
            if (!string.Equals(tags[i].Key, known[i].Key, StringComparison.Ordinal) || !Equals(tags[i].Value, known[i].Value))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Forgets observed series before a scrape re-observes them, so a deleted topic's gauge disappears.</summary>
    public void ResetObserved()
    {
        if (Kind is MetricKind.ObservedGauge)
        {
            lock (_lock)
            {
                _series.Clear();
                Array.Clear(_recent);
            }
        }
    }

    /// <summary>
    /// A copy of every series, ordered by label set. A histogram's count is the total of the buckets copied; its sum may
    /// miss the observations still being recorded while the copy is made.
    /// </summary>
    public IReadOnlyList<(string Labels, double Value, long Count, long[]? Buckets)> Snapshot()
    {
        lock (_lock)
        {
            return [.. _series.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => Copy(s.Key, s.Value))];
        }
    }

    private static (string Labels, double Value, long Count, long[]? Buckets) Copy(string labels, Series series)
    {
        if (series.BucketCounts is not { } counts)
        {
            return (labels, Volatile.Read(ref series.Value), 0, null);
        }
        var buckets = new long[counts.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            buckets[i] = Interlocked.Read(ref counts[i]);
        }
        return (labels, Volatile.Read(ref series.Value), buckets.Sum(), buckets);
    }

    private sealed record RecentTagSet(KeyValuePair<string, object?>[] Tags, Series Series);

    private sealed class Series(long[]? bucketCounts)
    {
        public double Value;
        public readonly long[]? BucketCounts = bucketCounts;
    }
}

/// <summary>How an instrument's measurements aggregate, and which Prometheus type they become.</summary>
internal enum MetricKind
{
    /// <summary><see cref="Counter{T}"/>: deltas summed; Prometheus counter with a <c>_total</c> suffix.</summary>
    Counter,

    /// <summary><see cref="UpDownCounter{T}"/>: deltas summed; gauge.</summary>
    UpDownCounter,

    /// <summary><see cref="ObservableCounter{T}"/>: the observed running total; counter.</summary>
    ObservedCounter,

    /// <summary><see cref="ObservableGauge{T}"/> or <see cref="ObservableUpDownCounter{T}"/>: the observed value; gauge.</summary>
    ObservedGauge,

    /// <summary><see cref="Histogram{T}"/>: cumulative buckets, sum and count.</summary>
    Histogram,
}

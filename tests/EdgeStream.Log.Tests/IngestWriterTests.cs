using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeStream.Log.Ingest;

namespace EdgeStream.Log.Tests;

public sealed class IngestWriterTests
{
    [Fact]
    public async Task Appends_are_counted_by_source_in_records_bytes_and_durable_waits()
    {
        using var dir = new TempDir();
        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
        using var ingest = new LogIngest(store);
        using var seen = new IngestMeasurements(ingest.Meter);
        var mqtt = ingest.Writer("mqtt");
        var http = ingest.Writer("http");

        // 3-byte key + 10-byte value + 4-byte header value per record.
        var record = LogTestKit.Text("0123456789", "key", headers: new RecordHeader("h", "abcd"u8.ToArray()));
        await mqtt.AppendDurableAsync("t", record, TestContext.Current.CancellationToken);
        await mqtt.AppendDurableAsync("t", record, TestContext.Current.CancellationToken);
        var batch = await http.AppendBatchAsync("t", 0, [record, record, record], TestContext.Current.CancellationToken);
        await http.WaitForDurableAsync("t", 0, batch.LastOffset, TestContext.Current.CancellationToken);

        Assert.Same(mqtt, ingest.Writer("mqtt"));
        Assert.Equal(2, seen.Sum("edgestream.ingest.records", "mqtt"));
        Assert.Equal(3, seen.Sum("edgestream.ingest.records", "http"));
        Assert.Equal(2 * 17, seen.Sum("edgestream.ingest.bytes", "mqtt"));
        Assert.Equal(3 * 17, seen.Sum("edgestream.ingest.bytes", "http"));
        Assert.Equal(2, seen.Count("edgestream.ingest.durable.wait.duration", "mqtt"));
        Assert.Equal(1, seen.Count("edgestream.ingest.durable.wait.duration", "http"));
        Assert.Equal(5, store.GetTopic("t")!.Partitions.Sum(p => p.DurableOffset));
    }

    [Fact]
    public async Task A_refused_append_is_counted_as_an_error_of_its_source_with_its_reason()
    {
        using var dir = new TempDir();
        var options = LogTestKit.Options(dir.Path, defaults: s => { s.SegmentBytes = 4096; s.RetentionAge = null; });
        options.MaxDiskBytes = 20_000;
        await using var store = await LogStore.OpenAsync(options);
        using var ingest = new LogIngest(store);
        using var seen = new IngestMeasurements(ingest.Meter);
        var sensors = ingest.Writer("sensors");

        var stored = 0;
        await Assert.ThrowsAsync<LogFullException>(async () =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                await sensors.AppendAsync("t", LogTestKit.Text($"record-{i:D5} " + new string('x', 60)), TestContext.Current.CancellationToken);
                stored++;
            }
        });
        await Assert.ThrowsAsync<ArgumentException>(async () => await sensors.AppendAsync("../bad", LogTestKit.Text("x"), TestContext.Current.CancellationToken));

        Assert.Equal(1, seen.Sum("edgestream.ingest.append.errors", "sensors", ("reason", "log_full")));
        Assert.Equal(1, seen.Sum("edgestream.ingest.append.errors", "sensors", ("reason", "invalid")));
        Assert.Equal(stored, seen.Sum("edgestream.ingest.records", "sensors"));
    }

    /// <summary>Collects the measurements of one meter instance (tests run in parallel; other logs have their own).</summary>
    private sealed class IngestMeasurements : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _seen = new();

        public IngestMeasurements(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter == meter)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
            _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
            _listener.Start();
        }

        public double Sum(string instrument, string source, params (string Key, string Value)[] tags)
            => Matching(instrument, source, tags).Sum(m => m.Value);

        public int Count(string instrument, string source) => Matching(instrument, source, []).Count();

        public void Dispose() => _listener.Dispose();

        private IEnumerable<(string Instrument, double Value, Dictionary<string, object?> Tags)> Matching(string instrument, string source, (string Key, string Value)[] tags)
            => _seen.Where(m => m.Instrument == instrument && Equals(m.Tags.GetValueOrDefault("source"), source)
                && tags.All(t => Equals(m.Tags.GetValueOrDefault(t.Key), t.Value)));

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var dict = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                dict[tag.Key] = tag.Value;
            }
            _seen.Enqueue((instrument.Name, value, dict));
        }
    }
}

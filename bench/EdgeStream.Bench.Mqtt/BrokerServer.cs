using System.Diagnostics.Metrics;
using System.Globalization;
using EdgeStream.Ingest.Mqtt;
using EdgeStream.Ingest.Mqtt.Broker;
using EdgeStream.Log;
using EdgeStream.Log.Ingest;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeStream.Bench.Mqtt;

/// <summary>The child process: EdgeStream's embedded broker over a LogStore with group commit, until stdin closes.</summary>
internal static class BrokerServer
{
    public static async Task<int> ServeAsync(string[] args)
    {
        var port = int.Parse(args[1], CultureInfo.InvariantCulture);
        // The log's own metrics tell how many records each fsync covered (group commit at work) and how long it took.
        long fsyncs = 0, records = 0;
        double fsyncMs = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Name is "edgestream.log.fsync.duration" or "edgestream.log.appended.records")
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, v, _, _) =>
        {
            Interlocked.Increment(ref fsyncs);
            lock (listener)
            {
                fsyncMs += v;
            }
        });
        listener.SetMeasurementEventCallback<long>((_, v, _, _) => Interlocked.Add(ref records, v));
        listener.Start();
        var dir = args[2];
        await using var store = await LogStore.OpenAsync(new LogOptions { DataDirectory = dir, CommitPolicy = "group" });
        var options = new MqttIngestOptions { Port = port };
        options.Limits.MaxConnections = 10_000;
        options.Limits.MaxInFlightPerClient = 65_535;
        using var metrics = new MqttIngestMetrics();
        // "nolog": same broker and interceptors, but appends go nowhere: isolates MQTTnet + interception cost.
        using var ingest = new LogIngest(store);
        IIngestWriter log = args.Length > 3 && args[3] == "nolog" ? new NullIngestLog() : ingest.Writer(MqttIngestOptions.IngestSource);
        await using var broker = new EmbeddedBroker(options, log, metrics, TimeProvider.System, NullLogger.Instance);
        await broker.StartAsync();
        Console.WriteLine("READY");
        // The parent closes stdin to stop us.
        while (await Console.In.ReadLineAsync() is not null)
        {
        }
        var n = Math.Max(1, Interlocked.Read(ref fsyncs));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"STATS {fsyncs} fsyncs, {fsyncMs / n:F2} ms each, {(double)Interlocked.Read(ref records) / n:F1} records per fsync"));
        return 0;
    }
}

/// <summary>Diagnostic log that stores nothing and is durable at once.</summary>
internal sealed class NullIngestLog : IIngestWriter
{
    private long _offset;

    public string Source => "null";

    public TopicInfo EnsureTopic(string topic) => throw new NotSupportedException();

    public int PartitionFor(string topic, ReadOnlySpan<byte> key) => 0;

    public ValueTask<AppendResult> AppendBatchAsync(string topic, int partition, IReadOnlyList<LogRecord> records, CancellationToken cancellationToken)
        => ValueTask.FromResult(new AppendResult(partition, Interlocked.Add(ref _offset, records.Count) - records.Count + 1, records.Count));

    public ValueTask<AppendResult> AppendAsync(string topic, LogRecord record, CancellationToken cancellationToken)
        => ValueTask.FromResult(new AppendResult(0, Interlocked.Increment(ref _offset), 1));

    public ValueTask WaitForDurableAsync(string topic, int partition, long offset, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

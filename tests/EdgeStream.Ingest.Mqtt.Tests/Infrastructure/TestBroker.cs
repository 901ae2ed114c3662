using EdgeStream.Ingest.Mqtt.Broker;
using EdgeStream.Log;
using EdgeStream.Log.Ingest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Formatter;

namespace EdgeStream.Ingest.Mqtt.Tests.Infrastructure;

/// <summary>
/// An embedded broker on a free 127.0.0.1 port over a real <see cref="LogStore"/> (group commit) in a temp directory;
/// everything is stopped and deleted on dispose.
/// </summary>
internal sealed class TestBroker : IAsyncDisposable
{
    private readonly bool _ownsDirectory;

    private TestBroker(string directory, bool ownsDirectory, LogStore store, LogIngest ingest, IIngestWriter log, EmbeddedBroker broker, MqttIngestOptions options, MqttIngestMetrics metrics)
    {
        _ownsDirectory = ownsDirectory;
        Directory = directory;
        Store = store;
        Ingest = ingest;
        Log = log;
        Broker = broker;
        Options = options;
        Metrics = metrics;
    }

    public string Directory { get; }

    public LogStore Store { get; }

    /// <summary>The log's ingest writers (the broker's is <see cref="Log"/>, possibly wrapped).</summary>
    public LogIngest Ingest { get; }

    public IIngestWriter Log { get; }

    public EmbeddedBroker Broker { get; }

    public MqttIngestOptions Options { get; }

    public MqttIngestMetrics Metrics { get; }

    public int Port => Options.Port;

    /// <summary>
    /// Starts a broker over a log in a new temporary directory (deleted on dispose), or in <c>directory</c> when given:
    /// an existing log opened again, as after a restart, and kept on dispose.
    /// </summary>
    public static async Task<TestBroker> StartAsync(Action<MqttIngestOptions>? configure = null, Func<IIngestWriter, IIngestWriter>? wrapLog = null, ILogger? logger = null, LogOptions? logOptions = null,
        TimeProvider? time = null, ISinkLagSource? sinkLags = null, string? directory = null)
    {
        var ownsDirectory = directory is null;
        directory ??= Path.Combine(Path.GetTempPath(), "es-mqtt-" + Guid.NewGuid().ToString("N"));
        var lo = logOptions ?? new LogOptions { CommitPolicy = "group" };
        lo.DataDirectory = directory;
        var store = await LogStore.OpenAsync(lo, cancellationToken: TestContext.Current.CancellationToken);
        // No $SYS statistics unless a test asks (SysTopicTests): their injected publishes would show up in tests that
        // count intercepted publishes or retained messages.
        var options = new MqttIngestOptions { Port = Ports.Free(), SysInterval = TimeSpan.Zero };
        configure?.Invoke(options);
        var ingest = new LogIngest(store);
        var log = ingest.Writer(MqttIngestOptions.IngestSource);
        log = wrapLog?.Invoke(log) ?? log;
        var metrics = new MqttIngestMetrics();
        var broker = new EmbeddedBroker(options, log, metrics, time ?? TimeProvider.System, logger ?? NullLogger.Instance,
            new Broker.Sys.SysSources(() => store.GetTopics().Sum(t => t.SizeBytes), sinkLags), store);
        await broker.StartAsync();
        return new TestBroker(directory, ownsDirectory, store, ingest, log, broker, options, metrics);
    }

    public MqttClientOptionsBuilder ClientOptions(string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500)
        => new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Port).WithClientId(clientId).WithProtocolVersion(version).WithTimeout(TimeSpan.FromSeconds(10));

    public async Task<IMqttClient> ConnectAsync(string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500, Action<MqttClientOptionsBuilder>? configure = null)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var builder = ClientOptions(clientId, version);
        configure?.Invoke(builder);
        var result = await client.ConnectAsync(builder.Build(), TestContext.Current.CancellationToken);
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        return client;
    }

    /// <summary>
    /// The broker's side of a connected client. A client is registered just after its CONNACK has gone out, so the client
    /// may see its connection before the registry does: this waits for it.
    /// </summary>
    public Task<ClientConnection> ConnectionAsync(string clientId)
        => Poll.UntilAsync(() => Task.FromResult(Broker.Clients.Get(clientId)), what: $"{clientId} registered", cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>Every durable record of a log topic, partition by partition.</summary>
    public async Task<List<StoredRecord>> ReadAllAsync(string topic)
    {
        await Store.FlushAsync(TestContext.Current.CancellationToken);
        var records = new List<StoredRecord>();
        var info = Store.GetTopic(topic);
        if (info is null)
        {
            return records;
        }
        foreach (var p in info.Partitions)
        {
            var offset = 0L;
            while (true)
            {
                var read = Store.Read(topic, p.Partition, offset, ReadLimits.Default);
                if (read.Records.Count == 0)
                {
                    break;
                }
                records.AddRange(read.Records);
                offset = read.NextOffset;
            }
        }
        return records;
    }

    public async ValueTask DisposeAsync()
    {
        await Broker.DisposeAsync();
        await Store.DisposeAsync();
        Ingest.Dispose();
        Metrics.Dispose();
        if (!_ownsDirectory)
        {
            return;
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

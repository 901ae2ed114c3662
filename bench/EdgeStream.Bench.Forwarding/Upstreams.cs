using Confluent.Kafka;
using EdgeStream.FirmwareSim.Brokers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Bench.Forwarding;

/// <summary>Real upstreams on loopback for the benchmark; every process is killed on dispose.</summary>
internal sealed class Upstreams : IAsyncDisposable
{
    private NatsServers? _nats;
    private MosquittoBroker? _mosquitto;
    private IProducer<byte[], byte[]>? _kafkaOwner;
    private WebApplication? _http;

    public string KafkaBootstrap { get; private set; } = "";

    public string NatsUrl { get; private set; } = "";

    public int MqttPort { get; private set; }

    public string HttpUrl { get; private set; } = "";

    public void StartKafka()
    {
        var config = new ProducerConfig();
        config.Set("test.mock.num.brokers", "3");
        _kafkaOwner = new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        using var admin = new DependentAdminClientBuilder(_kafkaOwner.Handle).Build();
        KafkaBootstrap = string.Join(",", admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers.Select(b => $"{b.Host}:{b.Port}"));
    }

    public async Task StartNatsAsync()
    {
        _nats = await NatsServers.StartSingleAsync();
        NatsUrl = _nats.Url;
    }

    public async Task StartMosquittoAsync()
    {
        _mosquitto = await MosquittoBroker.StartAsync(maxQueuedMessages: 0);
        MqttPort = _mosquitto.Port;
    }

    public async Task StartHttpAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _http = builder.Build();
        // Reads (and so decompresses nothing): both the baseline and EdgeStream pay the same receiver cost.
        _http.MapPost("/ingest", async (HttpRequest r) =>
        {
            var buffer = new byte[64 * 1024];
            while (await r.Body.ReadAsync(buffer) > 0)
            {
            }
            return Results.Ok();
        });
        await _http.StartAsync();
        HttpUrl = _http.Urls.First() + "/ingest";
    }

    public async ValueTask DisposeAsync()
    {
        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }
        if (_mosquitto is not null)
        {
            await _mosquitto.DisposeAsync();
        }
        if (_http is not null)
        {
            await _http.StopAsync();
            await _http.DisposeAsync();
        }
        _kafkaOwner?.Dispose();
    }
}

using EdgeStream.Ingest.Mqtt.Client;
using EdgeStream.Ingest.Mqtt.Routing;
using EdgeStream.Log;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStream.Ingest.Mqtt.Hosting;

/// <summary>Runs every configured upstream subscription (client mode) until the host stops.</summary>
internal sealed class UpstreamSubscriberService : BackgroundService
{
    private readonly UpstreamSubscriber[] _subscribers;

    public UpstreamSubscriberService(IOptions<MqttIngestOptions> options, LogStore store, MqttIngestMetrics metrics, TimeProvider time, ILogger<UpstreamSubscriberService> logger)
    {
        var log = new LogStoreIngestLog(store);
        var router = MqttRouter.FromOptions(options.Value);
        _subscribers = [.. options.Value.Upstreams.Select(u => new UpstreamSubscriber(u, log, router, metrics, time, logger))];
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(_subscribers.Select(s => s.RunAsync(stoppingToken)));
}

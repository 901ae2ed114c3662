using EdgeStream.Ingest.Mqtt.Client;
using EdgeStream.Ingest.Mqtt.Routing;
using EdgeStream.Log.Ingest;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStream.Ingest.Mqtt.Hosting;

/// <summary>Runs every configured upstream subscription (client mode) until the host stops.</summary>
internal sealed class UpstreamSubscriberService : BackgroundService
{
    private readonly UpstreamSubscriber[] _subscribers;

    public UpstreamSubscriberService(IOptions<MqttIngestOptions> options, [FromKeyedServices(MqttIngestOptions.IngestSource)] IIngestWriter writer, MqttIngestMetrics metrics, TimeProvider time, ILogger<UpstreamSubscriberService> logger)
    {
        var router = MqttRouter.FromOptions(options.Value);
        _subscribers = [.. options.Value.Upstreams.Select(u => new UpstreamSubscriber(u, writer, router, metrics, time, logger))];
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(_subscribers.Select(s => s.RunAsync(stoppingToken)));
}

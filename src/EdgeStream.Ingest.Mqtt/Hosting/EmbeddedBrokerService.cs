using EdgeStream.Ingest.Mqtt.Broker;
using EdgeStream.Ingest.Mqtt.Broker.Sys;
using EdgeStream.Log;
using EdgeStream.Log.Ingest;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStream.Ingest.Mqtt.Hosting;

/// <summary>
/// Runs the embedded broker for the host's lifetime. Start failures (port in use, bad certificate) propagate so the
/// host stops and systemd restarts it.
/// </summary>
internal sealed class EmbeddedBrokerService : IHostedService, IAsyncDisposable
{
    private readonly EmbeddedBroker _broker;

    public EmbeddedBrokerService(IOptions<MqttIngestOptions> options, [FromKeyedServices(MqttIngestOptions.IngestSource)] IIngestWriter writer, MqttIngestMetrics metrics, TimeProvider time, ILogger<EmbeddedBrokerService> logger,
        LogStore store, ISinkLagSource? sinkLags = null)
    {
        // Bytes on disk of every log topic, for $SYS/broker/edgestream/log/bytes.
        var sys = new SysSources(() => store.GetTopics().Sum(t => t.SizeBytes), sinkLags);
        _broker = new EmbeddedBroker(options.Value, writer, metrics, time, logger, sys, store);
    }

    public Task StartAsync(CancellationToken cancellationToken) => _broker.StartAsync();

    public Task StopAsync(CancellationToken cancellationToken) => _broker.StopAsync();

    public ValueTask DisposeAsync() => _broker.DisposeAsync();
}

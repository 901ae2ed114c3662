using Microsoft.Extensions.Hosting;

namespace EdgeStream.Http.Metrics;

/// <summary>
/// Registered as the first hosted service so that resolving it creates the <see cref="PrometheusExporter"/> (and the
/// process meter) before any other stage is constructed: measurements made before a listener exists are lost, and
/// stages record their known series at zero (MQTT sources, configured sensors) as they are created.
/// </summary>
internal sealed class MetricsListenerStartup(PrometheusExporter exporter, ProcessMetrics process) : IHostedService
{
    public PrometheusExporter Exporter { get; } = exporter;

    public ProcessMetrics Process { get; } = process;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

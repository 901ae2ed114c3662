using EdgeStream.Processing.Runtime;

namespace EdgeStream.Processing.Hosting;

/// <summary>
/// The hosted pipeline stage: runs every rule for the host's lifetime. A failing rule is contained by its runner; only
/// a failure of the whole log faults this service.
/// </summary>
internal sealed class ProcessingService(ProcessingEngine engine) : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => engine.RunAsync(stoppingToken);
}

namespace EdgeStream.Forwarding;

/// <summary>
/// The hosted pipeline stage: runs the <see cref="ForwardingEngine"/> for the host's lifetime. A failed loop is
/// contained by the engine; only a failure of the whole log faults this service, which (with the host's default
/// StopHost behaviour) stops the process.
/// </summary>
internal sealed class ForwardingService(ForwardingEngine engine) : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => engine.RunAsync(stoppingToken);
}

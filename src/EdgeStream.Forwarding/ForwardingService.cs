namespace EdgeStream.Forwarding;

/// <summary>
/// The hosted pipeline stage: runs the <see cref="ForwardingEngine"/> for the host's lifetime. A failed loop faults
/// this service, which (with the host's default StopHost behaviour) stops the process so systemd restarts it.
/// </summary>
internal sealed class ForwardingService(ForwardingEngine engine) : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => engine.RunAsync(stoppingToken);
}

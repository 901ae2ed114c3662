using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeStream.Http.Health;

/// <summary>
/// Ready once the admin listener is bound (or is disabled by configuration). Other listeners (MQTT) register their own
/// checks. Thread-safe.
/// </summary>
internal sealed class AdminListenerHealthCheck(AdminListenerState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(state switch
        {
            { Address: { } address } => HealthCheckResult.Healthy($"listening on {address}"),
            { Disabled: true } => HealthCheckResult.Healthy("disabled (Http:Port is 0)"),
            _ => HealthCheckResult.Unhealthy("admin listener not started"),
        });
}

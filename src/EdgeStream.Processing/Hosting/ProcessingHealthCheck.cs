using EdgeStream.Processing.Runtime;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeStream.Processing.Hosting;

/// <summary>
/// Degraded while any rule is faulted (naming the rules and why), healthy otherwise; reports each rule's lag. A faulted
/// rule never makes the service unready: ingest and forwarding work without it, and its input waits in the log.
/// Thread-safe.
/// </summary>
internal sealed class ProcessingHealthCheck(ProcessingEngine engine) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var rules = engine.GetStatus();
        var data = rules.ToDictionary(r => "lag:" + r.Id, r => (object)r.LagRecords);
        var faulted = rules.Where(r => r.Fault is not null).ToList();
        return Task.FromResult(faulted.Count == 0
            ? HealthCheckResult.Healthy($"{rules.Count} rule(s) running", data)
            : HealthCheckResult.Degraded($"{faulted.Count} rule(s) faulted and restarting: {string.Join(", ", faulted.Select(r => $"{r.Id}: {r.Fault}"))}", data: data));
    }
}

using EdgeStream.Log;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeStream.Http.Health;

/// <summary>
/// Ready when the log answers: the host opens it (recovery included) before anything starts, so a store that lists its
/// topics is open. Reports topic and partition counts. Thread-safe.
/// </summary>
internal sealed class LogHealthCheck(LogStore store) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var topics = store.GetTopics();
            var data = new Dictionary<string, object>
            {
                ["topics"] = topics.Count,
                ["partitions"] = topics.Sum(t => t.Partitions.Count),
            };
            return Task.FromResult(HealthCheckResult.Healthy("log open", data));
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("log not available", e));
        }
    }
}

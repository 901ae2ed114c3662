using EdgeStream.Log;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeStream.Http.Health;

/// <summary>
/// Ready when the log answers and no partition is failed: the host opens the log (recovery included) before anything
/// starts, so a store that lists its topics is open; a partition failed by a write or fsync error (it reopens itself
/// with backoff) makes the service unready from the first failure, naming the partition and the error. Reports topic
/// and partition counts. Thread-safe.
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
            var failed = store.GetFailedPartitions();
            if (failed.Count > 0)
            {
                foreach (var f in failed)
                {
                    data[$"failed:{f.Topic}/{f.Partition}"] = $"{f.Error} (failed for {f.FailedFor:g}, {f.ReopenAttempts} reopen attempts)";
                }
                var names = string.Join(", ", failed.Select(f => $"{f.Topic}/{f.Partition}: {f.Error}"));
                return Task.FromResult(HealthCheckResult.Unhealthy($"{failed.Count} partition(s) failed and reopening: {names}", data: data));
            }
            return Task.FromResult(HealthCheckResult.Healthy("log open", data));
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("log not available", e));
        }
    }
}

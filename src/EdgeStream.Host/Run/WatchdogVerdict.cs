using EdgeStream.Log;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeStream.Host.Run;

/// <summary>
/// Whether the systemd watchdog ping is withheld (so systemd restarts the service). Any unhealthy readiness check
/// withholds it at once, except the log's check while its only problem is failed partitions: a failed partition heals
/// itself by reopening, so the ping is withheld only once one has been failed without interruption for
/// <see cref="LogOptions.FailedPartitionGrace"/>; a restart then reopens the whole log from disk. Stateless.
/// </summary>
internal static class WatchdogVerdict
{
    /// <summary>The name the admin server registers the log's readiness check under.</summary>
    public const string LogCheck = "log";

    /// <summary>Null to ping; otherwise why not.</summary>
    public static string? Withhold(HealthReport report, IReadOnlyList<PartitionFailure> failedPartitions, TimeSpan grace)
    {
        var reasons = new List<string>();
        foreach (var (name, entry) in report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (entry.Status != HealthStatus.Unhealthy)
            {
                continue;
            }
            if (name == LogCheck && failedPartitions.Count > 0 && entry.Exception is null)
            {
                continue;
            }
            reasons.Add(name);
        }
        foreach (var f in failedPartitions.Where(f => f.FailedFor >= grace))
        {
            reasons.Add($"partition {f.Topic}/{f.Partition} failed for {f.FailedFor:g} ({f.Error})");
        }
        return reasons.Count == 0 ? null : string.Join(", ", reasons);
    }
}

using EdgeStream.Host.Run;
using EdgeStream.Log;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeStream.Host.Tests;

public sealed class WatchdogVerdictTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(5);

    private static HealthReport Report(params (string Name, HealthStatus Status)[] checks)
        => new(checks.ToDictionary(c => c.Name, c => new HealthReportEntry(c.Status, c.Name + " says so", TimeSpan.Zero, null, null)), TimeSpan.Zero);

    private static PartitionFailure Failed(TimeSpan since) => new("t", 0, "Input/output error", DateTimeOffset.UnixEpoch, since, 3);

    [Fact]
    public void A_failed_partition_keeps_the_watchdog_fed_during_the_grace_period_while_readiness_is_false()
    {
        var report = Report(("log", HealthStatus.Unhealthy), ("http", HealthStatus.Healthy));

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Null(WatchdogVerdict.Withhold(report, [Failed(TimeSpan.FromMinutes(4))], Grace));
    }

    [Fact]
    public void A_partition_failed_for_the_whole_grace_period_withholds_the_ping_naming_it()
    {
        var reason = WatchdogVerdict.Withhold(Report(("log", HealthStatus.Unhealthy)), [Failed(Grace)], Grace);

        Assert.NotNull(reason);
        Assert.Contains("t/0", reason, StringComparison.Ordinal);
        Assert.Contains("Input/output error", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Any_other_unhealthy_check_withholds_the_ping_at_once()
    {
        Assert.Equal("mqtt", WatchdogVerdict.Withhold(Report(("log", HealthStatus.Healthy), ("mqtt", HealthStatus.Unhealthy)), [], Grace));
        Assert.Equal("log", WatchdogVerdict.Withhold(Report(("log", HealthStatus.Unhealthy)), [], Grace));
        Assert.Null(WatchdogVerdict.Withhold(Report(("log", HealthStatus.Healthy), ("http", HealthStatus.Degraded)), [], Grace));
    }
}

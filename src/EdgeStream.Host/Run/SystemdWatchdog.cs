using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Host.Run;

/// <summary>
/// Sends systemd <c>WATCHDOG=1</c> every half <c>WatchdogSec</c> while the readiness checks pass, so systemd restarts a
/// process whose pipeline hangs or fails without exiting. A failed log partition (it reopens itself) only stops the
/// pings after <c>Log:FailedPartitionGrace</c> of continuous failure (see <see cref="WatchdogVerdict"/>). .NET's systemd integration only sends READY/STOPPING; with no
/// watchdog configured (no <c>WATCHDOG_USEC</c> for this pid) this service does nothing.
/// </summary>
internal sealed partial class SystemdWatchdog(ISystemdNotifier notifier, HealthCheckService health, EdgeStream.Log.LogStore store, TimeProvider time, ILogger<SystemdWatchdog> logger)
    : BackgroundService
{
    private static readonly ServiceState Ping = new("WATCHDOG=1");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!notifier.IsEnabled || Interval() is not { } interval)
        {
            return;
        }
        using var timer = new PeriodicTimer(interval / 2, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var report = await health.CheckHealthAsync(stoppingToken);
            if (WatchdogVerdict.Withhold(report, store.GetFailedPartitions(), store.FailedPartitionGrace) is { } reason)
            {
                // No ping: if this lasts a whole WatchdogSec, systemd restarts the service.
                Unhealthy(logger, reason);
                continue;
            }
            notifier.Notify(Ping);
        }
    }

    private static TimeSpan? Interval()
    {
        var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (pid is not null && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }
        return long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) && usec > 0
            ? TimeSpan.FromMicroseconds(usec)
            : null;
    }

    [LoggerMessage(100, LogLevel.Warning, "Withholding the systemd watchdog ping: unhealthy checks {Checks}")]
    private static partial void Unhealthy(ILogger logger, string checks);
}

using System.Net.Sockets;
using System.Text;

namespace EdgeStream.Host.Tests;

/// <summary>
/// Runs the real service under a fake systemd: a parent process named systemd, a Unix datagram socket named by
/// NOTIFY_SOCKET, as systemd provides for Type=notify units, and WATCHDOG_USEC as systemd sets it for WatchdogSec.
/// </summary>
[Trait("Category", "Slow")]
public class SystemdNotifyTests(ShippedHost host) : IClassFixture<ShippedHost>
{
    [Fact]
    public async Task Run_reports_ready_then_pings_the_watchdog_and_stops_cleanly_on_SIGTERM()
    {
        var dir = Directory.CreateTempSubdirectory("edgestream-notify-");
        try
        {
            var socketPath = Path.Combine(dir.FullName, "notify.sock");
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Bind(new UnixDomainSocketEndPoint(socketPath));
            var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath, ["WATCHDOG_USEC"] = "400000" };
            using var run = new RunProcess(host.Executable, environment, dir.FullName, "run", "--data", Path.Combine(dir.FullName, "data"), "--mqtt-port", "0", "--http-port", "0");

            var messages = new List<string>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var buffer = new byte[256];
            while (messages.Count(m => m == "WATCHDOG=1") < 2)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                messages.Add(Encoding.UTF8.GetString(buffer, 0, n).Trim());
            }

            Assert.Equal("READY=1", messages[0]);
            Assert.Equal(0, await run.StopAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("Application is shutting down", run.Output);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

using System.Net;
using System.Net.Sockets;

namespace EdgeStream.FirmwareSim.Brokers;

/// <summary>Free TCP ports on 127.0.0.1, from the OS, and waiting for a listener to appear.</summary>
public static class Ports
{
    /// <summary>A loopback port nothing listens on right now.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until 127.0.0.1:<paramref name="port"/> accepts a connection; throws the last <see cref="SocketException"/> after <paramref name="timeout"/>.</summary>
    /// <param name="port">The loopback port.</param>
    /// <param name="timeout">How long to keep trying.</param>
    /// <param name="gaveUp">Checked between attempts; when it returns true the wait stops at once (e.g. the server process exited).</param>
    public static async Task WaitOpenAsync(int port, TimeSpan timeout, Func<bool>? gaveUp = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && gaveUp?.Invoke() != true)
            {
                await Task.Delay(50);
            }
        }
    }
}

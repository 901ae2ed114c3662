using System.Net;
using System.Net.Sockets;

namespace EdgeStream.Ingest.Mqtt.Tests.Infrastructure;

/// <summary>Free TCP ports on 127.0.0.1, from the OS.</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Net;
using System.Net.Sockets;
using EdgeStream.FirmwareSim.FaultProxy;

namespace EdgeStream.Forwarding.Tests;

public sealed class FaultProxyUnitTests
{
    /// <summary>An echo server on loopback, ended by disposing.</summary>
    private sealed class Echo : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _cts = new();
        private readonly Task _loop;

        public Echo()
        {
            _listener.Start();
            _loop = LoopAsync();
        }

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

        private async Task LoopAsync()
        {
            var clients = new List<Task>();
            try
            {
                while (true)
                {
                    var c = await _listener.AcceptTcpClientAsync(_cts.Token);
                    clients.Add(Task.Run(async () =>
                    {
                        using (c)
                        {
                            try
                            {
                                await c.GetStream().CopyToAsync(c.GetStream(), _cts.Token);
                            }
                            catch (Exception e) when (e is IOException or OperationCanceledException)
                            {
                            }
                        }
                    }));
                }
            }
            catch (OperationCanceledException)
            {
            }
            await Task.WhenAll(clients);
        }

        public async ValueTask DisposeAsync()
        {
            await _cts.CancelAsync();
            _listener.Stop();
            await _loop;
            _cts.Dispose();
        }
    }

    private static async Task<byte[]> RoundTripAsync(NetworkStream s, byte[] data)
    {
        await s.WriteAsync(data, TestContext.Current.CancellationToken);
        var back = new byte[data.Length];
        await s.ReadExactlyAsync(back, TestContext.Current.CancellationToken);
        return back;
    }

    [Fact]
    public async Task Bytes_pass_intact_with_added_latency_and_a_bandwidth_limit()
    {
        await using var echo = new Echo();
        await using var proxy = TcpFaultProxy.Start(echo.EndPoint);
        proxy.Latency = TimeSpan.FromMilliseconds(5);
        proxy.BytesPerSecond = 1_000_000;
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port, TestContext.Current.CancellationToken);
        var data = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();
        Assert.Equal(data, await RoundTripAsync(client.GetStream(), data));
    }

    [Fact]
    public async Task Cut_closes_open_connections_refuses_new_ones_until_restored()
    {
        await using var echo = new Echo();
        await using var proxy = TcpFaultProxy.Start(echo.EndPoint);
        using var before = new TcpClient();
        await before.ConnectAsync(IPAddress.Loopback, proxy.Port, TestContext.Current.CancellationToken);
        Assert.Equal([1, 2, 3], await RoundTripAsync(before.GetStream(), [1, 2, 3]));

        proxy.Cut = true;
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            // The proxy reset the connection: reading yields an error or end of stream.
            var buffer = new byte[1];
            await before.GetStream().WriteAsync(new byte[] { 4 }, TestContext.Current.CancellationToken);
            if (await before.GetStream().ReadAsync(buffer, TestContext.Current.CancellationToken) == 0)
            {
                throw new EndOfStreamException();
            }
        });

        proxy.Cut = false;
        using var after = new TcpClient();
        await after.ConnectAsync(IPAddress.Loopback, proxy.Port, TestContext.Current.CancellationToken);
        Assert.Equal([5, 6], await RoundTripAsync(after.GetStream(), [5, 6]));
    }
}

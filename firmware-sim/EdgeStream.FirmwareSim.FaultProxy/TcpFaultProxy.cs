using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace EdgeStream.FirmwareSim.FaultProxy;

/// <summary>
/// A TCP proxy on loopback that forwards to one upstream and injects link faults: <see cref="Cut"/> (close every
/// connection and refuse new ones), <see cref="BlackHole"/> (accept and read, but forward nothing either way),
/// <see cref="Latency"/> (delay every chunk) and <see cref="BytesPerSecond"/> (pace each direction). Settings may be
/// changed at any time from any thread; they apply to the next chunk. Thread-safe.
/// </summary>
public sealed class TcpFaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, Connection> _connections = new();
    private readonly Task _acceptLoop;
    private int _nextId;
    private volatile bool _cut;
    private long _latencyTicks;
    private long _bytesPerSecond;

    private TcpFaultProxy(IPEndPoint listen, IPEndPoint upstream)
    {
        _upstream = upstream;
        _listener = new TcpListener(listen);
        _listener.Start();
        _acceptLoop = AcceptLoopAsync(_stop.Token);
    }

    /// <summary>Starts a proxy listening on <paramref name="listen"/> (port 0 picks a free one).</summary>
    public static TcpFaultProxy Start(IPEndPoint upstream, IPEndPoint? listen = null) => new(listen ?? new IPEndPoint(IPAddress.Loopback, 0), upstream);

    /// <summary>The port the proxy listens on.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections currently open.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Total connections accepted (and forwarded) so far.</summary>
    public int AcceptedCount => Volatile.Read(ref _nextId);

    /// <summary>While true, every open connection is closed and new ones are accepted and closed at once.</summary>
    public bool Cut
    {
        get => _cut;
        set
        {
            _cut = value;
            if (value)
            {
                foreach (var c in _connections.Values)
                {
                    c.Abort();
                }
            }
        }
    }

    /// <summary>While true, bytes are read and dropped in both directions (the peer sees a silent link).</summary>
    public bool BlackHole { get; set; }

    /// <summary>Added delay before each forwarded chunk.</summary>
    public TimeSpan Latency
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicks));
        set => Interlocked.Exchange(ref _latencyTicks, value.Ticks);
    }

    /// <summary>Bandwidth per direction per connection in bytes per second; 0 for unlimited.</summary>
    public long BytesPerSecond
    {
        get => Interlocked.Read(ref _bytesPerSecond);
        set => Interlocked.Exchange(ref _bytesPerSecond, value);
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        var pumps = new List<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
                if (_cut)
                {
                    client.Client.LingerState = new LingerOption(true, 0);
                    client.Dispose();
                    continue;
                }
                pumps.RemoveAll(t => t.IsCompleted);
                pumps.Add(HandleAsync(client, cancellationToken));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await Task.WhenAll(pumps).ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(TcpClient client, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        using var upstream = new TcpClient();
        using var connection = new Connection(client, upstream, cancellationToken);
        _connections[id] = connection;
        try
        {
            await upstream.ConnectAsync(_upstream, connection.Token).ConfigureAwait(false);
            client.NoDelay = true;
            upstream.NoDelay = true;
            var a = PumpAsync(client.GetStream(), upstream.GetStream(), connection);
            var b = PumpAsync(upstream.GetStream(), client.GetStream(), connection);
            // When either side ends, end the other: a half-open proxied connection would hide the fault from the peer.
            await Task.WhenAny(a, b).ConfigureAwait(false);
            connection.Abort();
            await Task.WhenAll(a, b).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The upstream is down or the connection was cut: the client sees a closed connection, as it would for real.
        }
        finally
        {
            _connections.TryRemove(id, out _);
            client.Dispose();
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, Connection connection)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, connection.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return;
                }
                if (BlackHole)
                {
                    continue;
                }
                var latency = Latency;
                if (latency > TimeSpan.Zero)
                {
                    await Task.Delay(latency, connection.Token).ConfigureAwait(false);
                }
                await to.WriteAsync(buffer.AsMemory(0, n), connection.Token).ConfigureAwait(false);
                var bps = BytesPerSecond;
                if (bps > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)n / bps), connection.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Cut or closed by either peer.
        }
    }

    /// <summary>Stops listening and closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        foreach (var c in _connections.Values)
        {
            c.Abort();
        }
        await _acceptLoop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private sealed class Connection(TcpClient client, TcpClient upstream, CancellationToken stop) : IDisposable
    {
        private readonly CancellationTokenSource _cts = CancellationTokenSource.CreateLinkedTokenSource(stop);

        // The accepted socket, captured now: once its TcpClient is disposed, Client is null, and an Abort racing that
        // must find a disposed socket (ObjectDisposedException, ignored), not null. The upstream socket is created by
        // ConnectAsync, so it is read when aborting.
        private readonly Socket _client = client.Client;

        public CancellationToken Token => _cts.Token;

        public void Abort()
        {
            try
            {
                _cts.Cancel();
                // RST rather than FIN, like a dropped cellular link seen by the next write.
                _client.LingerState = new LingerOption(true, 0);
                _client.Close();
                upstream.Client?.Close();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Dispose() => _cts.Dispose();
    }
}

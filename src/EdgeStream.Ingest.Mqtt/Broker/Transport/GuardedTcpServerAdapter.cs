using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Server;

namespace EdgeStream.Ingest.Mqtt.Broker.Transport;

/// <summary>
/// The embedded broker's TCP/TLS listeners, in place of MQTTnet's own (which allocates whatever a fixed header claims
/// and has no CONNECT deadline). Per connection, before MQTTnet sees a byte: the pending-CONNECT cap, the per-address
/// connect rate and the failed-login block are checked at accept; one deadline covers the TLS handshake and the CONNECT
/// exchange; and every packet passes <see cref="FrameGuardChannel"/>'s size check. Endpoints and TLS settings come from
/// <see cref="MqttServerOptions"/>, as for MQTTnet's adapter. Start once, stop once; thread-safe.
/// </summary>
internal sealed class GuardedTcpServerAdapter : IMqttServerAdapter
{
    private readonly MqttLimitsOptions _limits;
    private readonly MqttIngestMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AddressRateLimiter _connectRate;
    private readonly ConcurrentDictionary<BrokerConnection, Task> _connections = new();
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private CancellationTokenSource? _stop;
    private int _pending;
    private readonly Lock _trafficLock = new();
    private TrafficCounts _closedTraffic; // of connections gone, folded in as each ends (under _trafficLock)

    public GuardedTcpServerAdapter(MqttLimitsOptions limits, LoginFailureThrottle logins, MqttIngestMetrics metrics, TimeProvider time, ILogger logger)
    {
        _limits = limits;
        Logins = logins;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _connectRate = new AddressRateLimiter(limits.ConnectRatePerAddress, limits.ConnectBurstPerAddress, limits.MaxTrackedAddresses, time);
        metrics.ObservePendingConnections(() => Volatile.Read(ref _pending));
    }

    public Func<IMqttChannelAdapter, Task>? ClientHandler { get; set; }

    public LoginFailureThrottle Logins { get; }

    /// <summary>Connections accepted that have not completed CONNECT yet.</summary>
    public int PendingConnections => Volatile.Read(ref _pending);

    /// <summary>Open connections (pending or connected).</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>
    /// Bytes and packets through the listeners since start: connections gone plus the open ones now. Counted once each
    /// (a connection's counts move to the total under the same lock that removes it). Walks the open connections.
    /// </summary>
    public TrafficCounts Traffic()
    {
        lock (_trafficLock)
        {
            var total = _closedTraffic;
            foreach (var connection in _connections.Keys)
            {
                if (connection.Channel is { } channel)
                {
                    total += channel.Traffic;
                }
            }
            return total;
        }
    }

    public Task StartAsync(MqttServerOptions options, IMqttNetLogger logger)
    {
        if (_stop is not null)
        {
            throw new InvalidOperationException("already started");
        }
        _stop = new CancellationTokenSource();
        if (options.DefaultEndpointOptions.IsEnabled)
        {
            Listen(options, options.DefaultEndpointOptions, null, logger);
        }
        if (options.TlsEndpointOptions.IsEnabled)
        {
            Listen(options, options.TlsEndpointOptions, options.TlsEndpointOptions, logger);
        }
        return Task.CompletedTask;
    }

    public async Task StopAsync()
    {
        if (_stop is null)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }
        foreach (var connection in _connections.Keys)
        {
            connection.Abort();
        }
        await Task.WhenAll(_acceptLoops.Concat(_connections.Values)).ConfigureAwait(false);
        _listeners.Clear();
        _acceptLoops.Clear();
        _stop.Dispose();
        _stop = null;
    }

    public void Dispose()
    {
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }
        foreach (var connection in _connections.Keys)
        {
            connection.Abort();
        }
    }

    private void Listen(MqttServerOptions options, MqttServerTcpEndpointBaseOptions endpoint, MqttServerTlsTcpEndpointOptions? tls, IMqttNetLogger mqttLogger)
    {
        var address = endpoint.BoundInterNetworkAddress.Equals(IPAddress.None) ? endpoint.BoundInterNetworkV6Address : endpoint.BoundInterNetworkAddress;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = endpoint.NoDelay;
            socket.Bind(new IPEndPoint(address, endpoint.Port));
            socket.Listen(endpoint.ConnectionBacklog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        endpoint.Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        _listeners.Add(socket);
        var token = _stop!.Token;
        _acceptLoops.Add(Task.Run(() => AcceptLoopAsync(socket, options, endpoint, tls, mqttLogger, token), CancellationToken.None));
    }

    private async Task AcceptLoopAsync(Socket listener, MqttServerOptions options, MqttServerTcpEndpointBaseOptions endpoint, MqttServerTlsTcpEndpointOptions? tls,
        IMqttNetLogger mqttLogger, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of descriptors or a reset before accept: keep listening, a little later.
                MqttIngestLog.AcceptFailed(_logger, e);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), _time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }

            var remote = (IPEndPoint)socket.RemoteEndPoint!;
            var connection = new BrokerConnection(socket, remote, tls is not null, ReleasePending);
            if (Admit(connection) is { } refusal)
            {
                _metrics.ConnectionClosed(refusal);
                MqttIngestLog.ConnectionRefusedAtAccept(_logger, remote.ToString(), refusal);
                connection.Abort();
                continue;
            }
            // Registered before it starts, removed by itself when done (a TryUpdate after that removal is a no-op).
            _connections[connection] = Task.CompletedTask;
            _connections.TryUpdate(connection, Task.Run(() => HandleAsync(socket, connection, options, endpoint, tls, mqttLogger, stop), CancellationToken.None), Task.CompletedTask);
        }
    }

    /// <summary>Null to admit (the connection then counts as pending), or the refusal reason.</summary>
    private string? Admit(BrokerConnection connection)
    {
        var exempt = !_limits.ThrottleLoopback && IPAddress.IsLoopback(connection.Address);
        if (!exempt && Logins.IsBlocked(connection.Address))
        {
            return "login-throttled";
        }
        if (!exempt && _limits.ConnectRatePerAddress > 0 && !_connectRate.TryAcquire(connection.Address))
        {
            return "connect-rate";
        }
        if (Interlocked.Increment(ref _pending) > _limits.MaxPendingConnections)
        {
            Interlocked.Decrement(ref _pending);
            return "pending-connections";
        }
        return null;
    }

    private void ReleasePending(BrokerConnection connection) => Interlocked.Decrement(ref _pending);

    private async Task HandleAsync(Socket socket, BrokerConnection connection, MqttServerOptions options, MqttServerTcpEndpointBaseOptions endpoint,
        MqttServerTlsTcpEndpointOptions? tls, IMqttNetLogger mqttLogger, CancellationToken stop)
    {
        // One deadline for TLS and CONNECT: a connection that has not completed CONNECT by then is closed.
        using var deadline = new CancellationTokenSource(_limits.ConnectTimeout, _time);
        using var onDeadline = deadline.Token.Register(() =>
        {
            if (connection.EndPending())
            {
                Interlocked.Decrement(ref _pending);
                _metrics.ConnectionClosed("connect-timeout");
                MqttIngestLog.ConnectTimedOut(_logger, connection.Remote.ToString(), _limits.ConnectTimeout);
                connection.Abort();
            }
        });
        BrokerConnection.Current = connection; // flows into MQTTnet's receive and send loops of this connection
        try
        {
            socket.NoDelay = endpoint.NoDelay;
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            X509Certificate2? clientCertificate = null;
            if (tls is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false, tls.RemoteCertificateValidationCallback);
                stream = ssl;
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, stop);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = tls.CertificateProvider.GetCertificate(),
                    ClientCertificateRequired = tls.ClientCertificateRequired,
                    EnabledSslProtocols = tls.SslProtocol,
                    CertificateRevocationCheckMode = tls.CheckCertificateRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck,
                    EncryptionPolicy = EncryptionPolicy.RequireEncryption,
                    CipherSuitesPolicy = tls.CipherSuitesPolicy,
                }, handshake.Token).ConfigureAwait(false);
                clientCertificate = ssl.RemoteCertificate switch
                {
                    null => null,
                    X509Certificate2 c2 => c2,
                    var c => X509CertificateLoader.LoadCertificate(c.Export(X509ContentType.Cert)),
                };
            }
            var handler = ClientHandler;
            if (handler is null || stop.IsCancellationRequested)
            {
                return;
            }
            var channel = new FrameGuardChannel(stream, socket.LocalEndPoint!, connection.Remote, clientCertificate,
                first => first ? _limits.MaxConnectPacketBytes : _limits.EffectiveMaxPacketBytes, connection);
            connection.Channel = channel;
            var formatter = new MqttPacketFormatterAdapter(new MqttBufferWriter(options.WriterBufferSize, options.WriterBufferSizeMax));
            using var inner = new MqttChannelAdapter(channel, formatter, mqttLogger) { AllowPacketFragmentation = endpoint.AllowPacketFragmentation };
            using var adapter = new GuardedChannelAdapter(inner, connection, _limits, _metrics, _logger, options.MaxPendingMessagesPerClient);
            await handler(adapter).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            // A handshake that failed or timed out, or a peer that vanished: this connection only.
            MqttIngestLog.ConnectionFailed(_logger, connection.Remote.ToString(), e.Message);
        }
        catch (Exception e)
        {
            // Contained: one connection's fault never reaches the accept loop.
            MqttIngestLog.ConnectionError(_logger, e, connection.Remote.ToString());
        }
        finally
        {
            if (connection.EndPending())
            {
                Interlocked.Decrement(ref _pending);
            }
            connection.EndAdmission();
            connection.Abort();
            lock (_trafficLock)
            {
                if (connection.Channel is { } channel)
                {
                    _closedTraffic += channel.Traffic;
                }
                _connections.TryRemove(connection, out _);
            }
        }
    }
}

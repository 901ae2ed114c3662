using System.Net;
using System.Net.Sockets;

namespace EdgeStream.Ingest.Mqtt.Broker.Transport;

/// <summary>
/// One accepted TCP connection of the embedded broker, from accept to close: its socket, whether it completed CONNECT,
/// and (once authenticated) the MQTT-level <see cref="ClientConnection"/>. Every piece of per-connection state hangs
/// off this object, never off a client id, so two connections fighting over one id never share ACL, rate, in-flight
/// or held acknowledgements. <see cref="Current"/> is the connection whose packets the calling code is handling:
/// MQTTnet's interceptors run on the connection's receive and send loops, which flow from the accept handler that sets
/// it. Thread-safe.
/// </summary>
internal sealed class BrokerConnection
{
    private static readonly AsyncLocal<BrokerConnection?> Ambient = new();

    private readonly Socket _socket;
    private readonly Action<BrokerConnection> _connectCompleted;
    private int _state; // 0 pending CONNECT, 1 connected, 2 closed
    private int _closed;

    public BrokerConnection(Socket socket, IPEndPoint remote, bool tls, Action<BrokerConnection> connectCompleted)
    {
        _socket = socket;
        Remote = remote;
        Address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
        IsTls = tls;
        _connectCompleted = connectCompleted;
    }

    /// <summary>The connection whose receive or send loop is running the caller, or null outside any connection.</summary>
    public static BrokerConnection? Current
    {
        get => Ambient.Value;
        internal set => Ambient.Value = value;
    }

    public IPEndPoint Remote { get; }

    /// <summary>The peer address (IPv4-mapped addresses unwrapped), the key of per-address limits.</summary>
    public IPAddress Address { get; }

    public bool IsTls { get; }

    /// <summary>The authenticated MQTT client on this connection; set when CONNECT is accepted.</summary>
    public ClientConnection? Client { get; set; }

    /// <summary>The channel adapter, once the transport is up (after TLS).</summary>
    public GuardedChannelAdapter? Adapter { get; set; }

    public bool IsConnected => Volatile.Read(ref _state) == 1;

    public bool IsClosed => Volatile.Read(ref _closed) == 1;

    /// <summary>A successful CONNACK was sent: the connection no longer counts as pending and its CONNECT timer is moot.</summary>
    public void MarkConnected()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) == 0)
        {
            _connectCompleted(this);
        }
    }

    /// <summary>Ends the pending phase without connecting (closed, refused or timed out); true the first time.</summary>
    public bool EndPending() => Interlocked.CompareExchange(ref _state, 2, 0) == 0;

    /// <summary>
    /// Closes the socket at once. Reads pending in MQTTnet's receive loop end, and MQTTnet cleans the connection up as
    /// for any dropped connection.
    /// </summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 1)
        {
            return;
        }
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already reset by the peer or closed by MQTTnet.
        }
        _socket.Dispose();
    }
}

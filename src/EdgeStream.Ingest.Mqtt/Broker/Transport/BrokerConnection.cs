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
    private int _draining;
    private Action? _admission;

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

    /// <summary>The byte channel under the adapter (its traffic counts), once the transport is up.</summary>
    public FrameGuardChannel? Channel { get; set; }

    /// <summary>
    /// When (<see cref="System.Diagnostics.Stopwatch"/> timestamp) the SUBSCRIBE that MQTTnet is handling was handed to
    /// it: before MQTTnet read the retained messages for it (MQTTnet handles one packet of a connection at a time).
    /// </summary>
    public long SubscribeReceivedAt { get; set; }

    public bool IsConnected => Volatile.Read(ref _state) == 1;

    /// <summary>
    /// Holds one slot of the connection limit from the moment CONNECT is accepted until the client is registered (after
    /// its CONNACK) or the connection closes, whichever comes first: <paramref name="release"/> gives it back, once.
    /// </summary>
    public void HoldAdmission(Action release) => Volatile.Write(ref _admission, release);

    /// <summary>Gives back the slot held by <see cref="HoldAdmission"/>, if any; safe to call more than once.</summary>
    public void EndAdmission() => Interlocked.Exchange(ref _admission, null)?.Invoke();

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
    /// The Session Expiry Interval the MQTT 5 client asked for in its CONNECT (seconds; absent = 0), kept here because
    /// <see cref="GuardedChannelAdapter"/> hands MQTTnet "never" in its place; <c>null</c> before CONNECT and on 3.1.1.
    /// </summary>
    public uint? ConnectSessionExpiry { get; set; }

    /// <summary>
    /// The Session Expiry Interval property of the client's DISCONNECT, read from its bytes: <c>null</c> when the
    /// DISCONNECT had none (the CONNECT's interval stays) or none was received.
    /// </summary>
    public uint? DisconnectSessionExpiry { get; private set; }

    /// <summary>The MQTT 5 will of this connection, kept here instead of in MQTTnet (see <see cref="WillDelay"/>).</summary>
    public DeferredWill? Will { get; set; }

    /// <summary>Whether the will is due: the connection ended without DISCONNECT, or with 0x04 "with will message".</summary>
    public bool WillDue => !_disconnectReceived || _disconnectReason == DisconnectWithWillMessage;

    private const byte DisconnectWithWillMessage = 0x04;
    private volatile bool _disconnectReceived;
    private byte _disconnectReason;

    /// <summary>The client sent DISCONNECT, with its reason code and the Session Expiry Interval it carried, if any.</summary>
    public void DisconnectReceived(byte reasonCode, uint? sessionExpiryInterval)
    {
        _disconnectReason = reasonCode;
        DisconnectSessionExpiry = sessionExpiryInterval;
        _disconnectReceived = true;
    }

    /// <summary>
    /// The client's DISCONNECT was a protocol error (a non-zero Session Expiry Interval after a CONNECT with 0,
    /// MQTT 5 §3.14.2.2.2): it does not count as a DISCONNECT, so the will is due and its interval is ignored.
    /// </summary>
    public void DisconnectRefused()
    {
        DisconnectSessionExpiry = null;
        _disconnectReceived = false;
    }

    /// <summary>Set once a DISCONNECT went out: what the client still sends is read and discarded until it closes.</summary>
    public bool IsDraining => Volatile.Read(ref _draining) == 1;

    /// <summary>
    /// After a DISCONNECT was sent: our side of the stream ends (FIN) while the client's is still read, so packets it
    /// sent before it saw the DISCONNECT do not turn into a connection reset that destroys the DISCONNECT unread
    /// (MQTT-3.14.4-1: nothing more is sent). The socket closes when the client closes, or after
    /// <paramref name="linger"/> at the latest.
    /// </summary>
    public void CloseAfterDisconnect(TimeSpan linger)
    {
        if (Interlocked.Exchange(ref _draining, 1) == 1 || IsClosed)
        {
            return;
        }
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Abort();
            return;
        }
        _ = Task.Delay(linger).ContinueWith(_ => Abort(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

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

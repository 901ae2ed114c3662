using EdgeStream.Ingest.Mqtt.Auth;
using EdgeStream.Ingest.Mqtt.Broker.Transport;
using EdgeStream.Ingest.Mqtt.Limits;
using EdgeStream.Ingest.Mqtt.Routing;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// Per-connection state of an authenticated MQTT client: identity, ACL, protocol version, rate limiter and the count of
/// QoS 1/2 publishes not yet acknowledged. It belongs to one network connection (<see cref="Transport"/>), never to a
/// client id: after a takeover the old and new connection each keep their own. Written by the connection's receive
/// loop and read by its send loop, which MQTTnet runs concurrently: counters and the writer are interlocked, the
/// deferred acknowledgement is the receive loop's alone; the rest is immutable.
/// </summary>
internal sealed class ClientConnection
{
    private MqttPublishPacket? _currentPublish;
    private int _inFlight;
    private ConnectionAckWriter? _ackWriter;

    // Receive loop only: the PUBACK of the publish being dispatched, and the message it belongs to.
    private DeferredAck _deferredAck;
    private bool _hasDeferredAck;

    public ClientConnection(string clientId, string? username, MqttProtocolVersion protocolVersion, ConnectionAcl acl, TokenBucket? publishLimiter,
        BrokerConnection? transport = null)
    {
        ClientId = clientId;
        Username = username;
        ProtocolVersion = protocolVersion;
        Acl = acl;
        PublishLimiter = publishLimiter;
        Transport = transport;
    }

    public string ClientId { get; }

    public string? Username { get; }

    public MqttProtocolVersion ProtocolVersion { get; }

    public bool IsV5 => ProtocolVersion == MqttProtocolVersion.V500;

    public ConnectionAcl Acl { get; }

    public TokenBucket? PublishLimiter { get; }

    /// <summary>The network connection this client state belongs to (null only for state built outside a listener).</summary>
    public BrokerConnection? Transport { get; }

    /// <summary>The connection's last route and record headers (see <see cref="PublishRouteCache"/>).</summary>
    public PublishRouteCache Routes { get; } = new();

    /// <summary>
    /// The acknowledgement table of this connection's session, once looked up (a connection keeps its session for
    /// life), so the hot path does not search the session items per packet.
    /// </summary>
    public SessionAcks? Acks { get; set; }

    /// <summary>Sends this connection's acknowledgements once durable; made on first use by either loop.</summary>
    public ConnectionAckWriter? AckWriter => Volatile.Read(ref _ackWriter);

    /// <summary>This connection's writer: <paramref name="made"/> unless the other loop installed one first.</summary>
    public ConnectionAckWriter InstallAckWriter(ConnectionAckWriter made)
        => Interlocked.CompareExchange(ref _ackWriter, made, null) ?? made;

    /// <summary>QoS 1/2 publishes handled whose acknowledgement has not left (or been dropped) yet.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// The PUBLISH packet the receive loop is handling. MQTTnet's publish interception sees only the application
    /// message, not the packet identifier the acknowledgement will carry; the inbound packet interceptor runs just
    /// before it on the same (sequential) receive loop and hands the packet over here.
    /// </summary>
    public MqttPublishPacket? TakeCurrentPublish() => Interlocked.Exchange(ref _currentPublish, null);

    public void SetCurrentPublish(MqttPublishPacket packet) => Volatile.Write(ref _currentPublish, packet);

    public void AckRegistered() => Interlocked.Increment(ref _inFlight);

    /// <summary>
    /// Holds the PUBACK of the QoS 1 publish the receive loop is handling until MQTTnet has dispatched it (which may
    /// turn a success into 0x10, see <see cref="NoMatchingSubscribers"/>); <see cref="ReleaseDeferredAck"/> queues it
    /// when the receive loop asks for its next packet. Receive loop only.
    /// </summary>
    public void DeferAck(ConnectionAckWriter writer, in PendingAck pending, ushort packetId, byte reasonCode, object message)
    {
        ReleaseDeferredAck();
        AckRegistered();
        _deferredAck = new DeferredAck(writer, pending, packetId, reasonCode, message);
        _hasDeferredAck = true;
    }

    /// <summary>
    /// MQTTnet found no subscriber for <paramref name="message"/>: its deferred success becomes 0x10, as MQTTnet's own
    /// PUBACK would.
    /// </summary>
    public void NoMatchingSubscribers(object message)
    {
        if (_hasDeferredAck && _deferredAck.ReasonCode == 0 && ReferenceEquals(_deferredAck.Message, message))
        {
            _deferredAck = _deferredAck with { ReasonCode = (byte)MqttPubAckReasonCode.NoMatchingSubscribers };
        }
    }

    /// <summary>Queues the deferred PUBACK, if any, on its writer. Receive loop only.</summary>
    public void ReleaseDeferredAck()
    {
        if (!_hasDeferredAck)
        {
            return;
        }
        var ack = _deferredAck;
        (_deferredAck, _hasDeferredAck) = (default, false);
        ack.Writer.Enqueue(ack.Pending, ack.PacketId, pubRec: false, ack.ReasonCode);
    }

    public void AckReleased() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Ends this connection only (MQTT 5: DISCONNECT with <paramref name="reason"/> first).</summary>
    public Task CloseAsync(MqttDisconnectReasonCode reason)
        => Transport?.Adapter?.CloseAsync(reason) ?? Task.CompletedTask;

    private readonly record struct DeferredAck(ConnectionAckWriter Writer, PendingAck Pending, ushort PacketId, byte ReasonCode, object Message);
}

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
/// loop and read by its send loop, which MQTTnet runs concurrently: counters are interlocked; the rest is immutable.
/// </summary>
internal sealed class ClientConnection
{
    private MqttPublishPacket? _currentPublish;
    private int _inFlight;

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

    /// <summary>Sends this connection's acknowledgements once durable; made by its send loop on first use.</summary>
    public ConnectionAckWriter? AckWriter { get; set; }

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

    public void AckReleased() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Ends this connection only (MQTT 5: DISCONNECT with <paramref name="reason"/> first).</summary>
    public Task CloseAsync(MqttDisconnectReasonCode reason)
        => Transport?.Adapter?.CloseAsync(reason) ?? Task.CompletedTask;
}

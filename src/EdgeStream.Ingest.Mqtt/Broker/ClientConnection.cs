using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using EdgeStream.Ingest.Mqtt.Auth;
using MQTTnet.Formatter;
using MQTTnet.Packets;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// Per-connection state of the embedded broker: identity, ACL, protocol version, rate limiter, and the acknowledgements
/// waiting for durability keyed by packet identifier. Written by the connection's receive loop and read by its send
/// loop, which MQTTnet runs concurrently: the pending map is concurrent; the rest is immutable.
/// </summary>
internal sealed class ClientConnection : IDisposable
{
    private readonly ConcurrentDictionary<ushort, PendingAck> _pending = new();
    private MqttPublishPacket? _currentPublish;
    private int _inFlight;

    public ClientConnection(string clientId, string? username, MqttProtocolVersion protocolVersion, ConnectionAcl acl, RateLimiter? publishLimiter)
    {
        ClientId = clientId;
        Username = username;
        ProtocolVersion = protocolVersion;
        Acl = acl;
        PublishLimiter = publishLimiter;
    }

    public string ClientId { get; }

    public string? Username { get; }

    public MqttProtocolVersion ProtocolVersion { get; }

    public bool IsV5 => ProtocolVersion == MqttProtocolVersion.V500;

    public ConnectionAcl Acl { get; }

    public RateLimiter? PublishLimiter { get; }

    /// <summary>QoS 1/2 publishes appended whose acknowledgement has not left yet (including one being held).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// The PUBLISH packet the receive loop is handling. MQTTnet's publish interception sees only the application
    /// message, not the packet identifier the acknowledgement will carry; the inbound packet interceptor runs just
    /// before it on the same (sequential) receive loop and hands the packet over here.
    /// </summary>
    public MqttPublishPacket? TakeCurrentPublish() => Interlocked.Exchange(ref _currentPublish, null);

    public void SetCurrentPublish(MqttPublishPacket packet) => Volatile.Write(ref _currentPublish, packet);

    public void AddPending(ushort packetId, PendingAck pending)
    {
        if (!pending.Suppress)
        {
            Interlocked.Increment(ref _inFlight);
        }
        _pending[packetId] = pending;
    }

    /// <summary>Takes the entry of an acknowledgement about to be sent; call <see cref="AckReleased"/> once it is.</summary>
    public bool TryTakePending(ushort packetId, out PendingAck pending) => _pending.TryRemove(packetId, out pending);

    public void AckReleased() => Interlocked.Decrement(ref _inFlight);

    public void Dispose() => PublishLimiter?.Dispose();
}

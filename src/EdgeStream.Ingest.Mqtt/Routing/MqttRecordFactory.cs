using System.Buffers;
using System.Globalization;
using System.Text;
using EdgeStream.Log;
using MQTTnet;

namespace EdgeStream.Ingest.Mqtt.Routing;

/// <summary>
/// Builds the stored record for an MQTT message: payload bytes untouched, receive time as timestamp, and the MQTT
/// metadata as headers (names below, documented in docs/mqtt.md). Stateless; thread-safe.
/// </summary>
internal static class MqttRecordFactory
{
    public const string TopicHeader = "mqtt.topic";
    public const string ClientIdHeader = "mqtt.clientid";
    public const string QosHeader = "mqtt.qos";
    public const string RetainHeader = "mqtt.retain";
    public const string ContentTypeHeader = "mqtt.content-type";

    /// <summary>MQTT 5 Message Expiry Interval in seconds as received (the record timestamp is the receive time).</summary>
    public const string MessageExpiryHeader = "mqtt.message-expiry";

    /// <summary>Packet identifier of a QoS 2 PUBLISH (with the client id, what identifies a retransmission).</summary>
    public const string PacketIdHeader = "mqtt.packet-id";

    /// <summary>Prefix of MQTT 5 user property headers: property <c>site</c> becomes header <c>mqtt.prop.site</c>.</summary>
    public const string UserPropertyPrefix = "mqtt.prop.";
    public const string UpstreamHeader = "mqtt.upstream";

    private static readonly byte[] True = "1"u8.ToArray();
    private static readonly byte[] False = "0"u8.ToArray();
    private static readonly byte[][] Qos = ["0"u8.ToArray(), "1"u8.ToArray(), "2"u8.ToArray()];


    /// <summary>
    /// The record for <paramref name="message"/>. <paramref name="ownedPayload"/>, when given, is the payload in an
    /// array owned by this message alone (never reused by MQTTnet), stored without another copy; otherwise the payload
    /// is copied out of MQTTnet's receive buffer. <paramref name="cache"/>, when given, supplies the encoded topic and
    /// client id of the connection's current topic, and for a message without optional headers the whole header list.
    /// </summary>
    public static LogRecord Create(MqttApplicationMessage message, string clientId, in RouteDecision decision, DateTimeOffset receivedAt, string? upstream = null, ushort qos2PacketId = 0,
        ReadOnlyMemory<byte>? ownedPayload = null, PublishRouteCache? cache = null)
    {
        // The payload sequence belongs to MQTTnet's receive buffer and is reused after the handler returns: copy it.
        var payload = ownedPayload ?? (message.Payload.IsEmpty ? Array.Empty<byte>() : message.Payload.ToArray());
        var qos = Math.Clamp((int)message.QualityOfServiceLevel, 0, 2);
        var fixedHeaders = cache?.FixedHeaders(message.Topic, clientId, qos, message.Retain);
        if (fixedHeaders is not null && upstream is null && qos2PacketId == 0 && string.IsNullOrEmpty(message.ContentType)
            && message.MessageExpiryInterval == 0 && message.UserProperties is not { Count: > 0 })
        {
            return new LogRecord(payload, decision.Key, receivedAt, fixedHeaders);
        }
        var headers = new List<RecordHeader>(6 + (message.UserProperties?.Count ?? 0));
        if (fixedHeaders is not null)
        {
            headers.AddRange(fixedHeaders);
        }
        else
        {
            headers.AddRange(FixedHeaders(Encoding.UTF8.GetBytes(message.Topic), Encoding.UTF8.GetBytes(clientId), qos, message.Retain));
        }
        if (!string.IsNullOrEmpty(message.ContentType))
        {
            headers.Add(new(ContentTypeHeader, Encoding.UTF8.GetBytes(message.ContentType)));
        }
        if (qos2PacketId != 0)
        {
            headers.Add(new(PacketIdHeader, Encoding.UTF8.GetBytes(qos2PacketId.ToString(CultureInfo.InvariantCulture))));
        }
        if (message.MessageExpiryInterval != 0)
        {
            headers.Add(new(MessageExpiryHeader, Encoding.UTF8.GetBytes(message.MessageExpiryInterval.ToString(CultureInfo.InvariantCulture))));
        }
        if (message.UserProperties is { } properties)
        {
            foreach (var p in properties)
            {
                headers.Add(new(UserPropertyPrefix + p.Name, p.ValueBuffer.ToArray()));
            }
        }
        if (upstream is not null)
        {
            headers.Add(new(UpstreamHeader, Encoding.UTF8.GetBytes(upstream)));
        }
        return new LogRecord(payload, decision.Key, receivedAt, headers);
    }

    /// <summary>The four headers every MQTT record has, in their stored order.</summary>
    internal static RecordHeader[] FixedHeaders(byte[] topic, byte[] clientId, int qos, bool retain) =>
    [
        new(TopicHeader, topic),
        new(ClientIdHeader, clientId),
        new(QosHeader, Qos[qos]),
        new(RetainHeader, retain ? True : False),
    ];
}

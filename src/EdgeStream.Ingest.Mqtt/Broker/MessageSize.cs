using MQTTnet;
using MQTTnet.Packets;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// The bytes a message is counted as against the broker's memory limits (retained messages, queued copies): its
/// payload, topic and properties (content type, response topic, correlation data, user properties), all of which
/// MQTTnet keeps with it. Counting the payload alone would let a client send one-byte messages that each carry a
/// packet's worth of user properties. Stateless.
/// </summary>
internal static class MessageSize
{
    public static int Of(MqttApplicationMessage m) => Of(m.Payload.Length, m.Topic, m.ContentType, m.ResponseTopic, m.CorrelationData, m.UserProperties);

    /// <summary>The same count for an outgoing PUBLISH, whose fields are the message's.</summary>
    public static int Of(MqttPublishPacket p) => Of(p.Payload.Length, p.Topic, p.ContentType, p.ResponseTopic, p.CorrelationData, p.UserProperties);

    private static int Of(long payload, string? topic, string? contentType, string? responseTopic, byte[]? correlationData, List<MqttUserProperty>? userProperties)
    {
        var bytes = payload + Length(topic) + Length(contentType) + Length(responseTopic) + (correlationData?.Length ?? 0);
        foreach (var property in userProperties ?? [])
        {
            bytes += Length(property.Name) + property.ValueBuffer.Length;
        }
        return (int)Math.Min(bytes, int.MaxValue);
    }

    private static int Length(string? text) => text?.Length ?? 0;
}

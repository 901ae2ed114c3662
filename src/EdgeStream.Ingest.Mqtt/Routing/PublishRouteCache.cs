using System.Text;
using EdgeStream.Log;
using MQTTnet.Packets;

namespace EdgeStream.Ingest.Mqtt.Routing;

/// <summary>
/// One connection's last route, so a device that publishes to the same topic again and again (the common case) is
/// routed once: the decision (log topic, key bytes) and the record headers that depend only on topic, client id, QoS
/// and retain flag are reused instead of splitting the topic and encoding the same strings for every message. A
/// decision keyed by a user property is never reused (it may differ per message). Rules are immutable, so an entry
/// never goes stale; it is replaced when the topic changes. Shared byte arrays are never written to: the log copies
/// what it stores. Thread-safe (entries are immutable and swapped whole), though used by one receive loop.
/// </summary>
internal sealed class PublishRouteCache
{
    private Entry? _last;

    /// <summary>The route for <paramref name="topic"/>, from the cache when the connection's previous publish had the same topic.</summary>
    public RouteDecision Route(MqttRouter router, string topic, string clientId, IReadOnlyList<MqttUserProperty>? userProperties)
    {
        var last = Volatile.Read(ref _last);
        if (last is not null && string.Equals(last.Topic, topic, StringComparison.Ordinal) && string.Equals(last.ClientId, clientId, StringComparison.Ordinal))
        {
            if (last.Reusable)
            {
                return last.Decision;
            }
            return router.Route(topic, clientId, userProperties);
        }
        var decision = router.Route(topic, clientId, userProperties);
        Volatile.Write(ref _last, new Entry(topic, clientId, decision, decision.Rule?.Key is not KeySource.UserProperty));
        return decision;
    }

    /// <summary>
    /// The fixed headers (topic, client id, QoS, retain) for a message on the cached topic, or null when the topic is
    /// not the cached one. The array is shared between records and must not be modified.
    /// </summary>
    public RecordHeader[]? FixedHeaders(string topic, string clientId, int qos, bool retain)
    {
        var last = Volatile.Read(ref _last);
        if (last is null || !string.Equals(last.Topic, topic, StringComparison.Ordinal) || !string.Equals(last.ClientId, clientId, StringComparison.Ordinal))
        {
            return null;
        }
        var slot = qos * 2 + (retain ? 1 : 0);
        // A racing second build makes an equal array: harmless.
        return last.Headers[slot] ??= MqttRecordFactory.FixedHeaders(last.TopicBytes, last.ClientIdBytes, qos, retain);
    }

    private sealed class Entry(string topic, string clientId, RouteDecision decision, bool reusable)
    {
        public string Topic { get; } = topic;

        public string ClientId { get; } = clientId;

        public RouteDecision Decision { get; } = decision;

        public bool Reusable { get; } = reusable;

        public byte[] TopicBytes { get; } = Encoding.UTF8.GetBytes(topic);

        public byte[] ClientIdBytes { get; } = Encoding.UTF8.GetBytes(clientId);

        public RecordHeader[]?[] Headers { get; } = new RecordHeader[]?[6];
    }
}

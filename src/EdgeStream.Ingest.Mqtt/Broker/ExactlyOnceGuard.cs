using System.Collections.Concurrent;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// QoS 2 exactly once into the log, which MQTTnet's server does not provide (it dispatches every PUBLISH it receives):
/// remembers, per client id, the packet identifiers of QoS 2 messages appended but not yet released by PUBREL, with
/// their log position. A retransmission (DUP set, same identifier, before PUBREL, also on a new connection of the same
/// session) is answered with PUBREC once the original is durable, and neither appended nor delivered again. A new
/// message never has DUP set (MQTT 5 §4.3.3), so an identifier reused after PUBCOMP is never mistaken for a
/// retransmission. In memory: bounded by the sessions and 65535 identifiers each; forgotten with the session. After a
/// restart of EdgeStream it starts empty; <see cref="ExactlyOnceRecovery"/> then finds originals stored before in the log.
/// Thread-safe.
/// </summary>
internal sealed class ExactlyOnceGuard
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<ushort, LogPosition>> _unreleased = new(StringComparer.Ordinal);

    public int Count => _unreleased.Values.Sum(d => d.Count);

    /// <summary>Told when a client's session starts clean or ends (see <see cref="ExactlyOnceRecovery.Settle"/>).</summary>
    public ExactlyOnceRecovery? Recovery { get; init; }

    /// <summary>The log position of an unreleased QoS 2 message, if <paramref name="packetId"/> is one.</summary>
    public bool TryGetUnreleased(string clientId, ushort packetId, out LogPosition original)
    {
        original = default;
        return _unreleased.TryGetValue(clientId, out var ids) && ids.TryGetValue(packetId, out original);
    }

    /// <summary>QoS 2 messages of <paramref name="clientId"/> appended and not yet released.</summary>
    public int UnreleasedCount(string clientId) => _unreleased.TryGetValue(clientId, out var ids) ? ids.Count : 0;

    public void Appended(string clientId, ushort packetId, LogPosition position)
        => _unreleased.GetOrAdd(clientId, _ => new ConcurrentDictionary<ushort, LogPosition>())[packetId] = position;

    public void Released(string clientId, ushort packetId)
    {
        if (_unreleased.TryGetValue(clientId, out var ids))
        {
            ids.TryRemove(packetId, out _);
        }
    }

    public void Forget(string clientId)
    {
        _unreleased.TryRemove(clientId, out _);
        Recovery?.Settle(clientId);
    }
}

/// <summary>Where a record was appended.</summary>
internal readonly record struct LogPosition(string Topic, int Partition, long Offset);

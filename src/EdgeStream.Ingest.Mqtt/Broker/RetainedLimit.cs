using MQTTnet;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// Bounds the retained messages clients can make the broker keep. MQTTnet's server keeps one retained message per
/// topic in memory without any limit, so a client publishing retained messages on ever new topics would fill the
/// memory. This class keeps the same account (topic → bytes, see <see cref="SizeOf"/>) and is asked before a retained publish is let
/// through: replacing or clearing (empty payload) a retained message is always allowed; a new one, or a larger
/// replacement, is refused if it would take the store beyond <c>Mqtt:Limits:MaxRetainedMessages</c> messages or
/// <c>Mqtt:Limits:MaxRetainedBytes</c> bytes. A change whose publish is not carried out after all (the append
/// failed) is undone. The broker's own <c>$SYS</c> statistics do not pass through here (a fixed, small set).
/// Thread-safe.
/// </summary>
internal sealed class RetainedLimit
{
    private readonly Dictionary<string, int> _sizes = new(StringComparer.Ordinal);
    private readonly int _maxMessages;
    private readonly long _maxBytes;
    private long _bytes;

    public RetainedLimit(int maxMessages, long maxBytes)
    {
        _maxMessages = maxMessages;
        _maxBytes = maxBytes;
    }

    /// <summary>Retained messages accounted for.</summary>
    public int Count
    {
        get
        {
            lock (_sizes)
            {
                return _sizes.Count;
            }
        }
    }

    /// <summary>Their bytes (<see cref="SizeOf"/>).</summary>
    public long Bytes
    {
        get
        {
            lock (_sizes)
            {
                return _bytes;
            }
        }
    }

    /// <summary>What a retained message is counted as: <see cref="MessageSize"/>, or 0 for one that clears its topic (an empty payload).</summary>
    public static int SizeOf(MqttApplicationMessage message) => message.Payload.IsEmpty ? 0 : MessageSize.Of(message);

    /// <summary>
    /// Accounts a retained publish on <paramref name="topic"/> of <paramref name="size"/> bytes (<see cref="SizeOf"/>; 0 clears it);
    /// false, with nothing changed, when it would exceed a bound. <paramref name="change"/> undoes it.
    /// </summary>
    public bool TryRetain(string topic, int size, out Change change)
    {
        lock (_sizes)
        {
            var had = _sizes.TryGetValue(topic, out var previous);
            change = new Change(topic, had ? previous : null, size > 0 ? size : null);
            if (size == 0)
            {
                if (had)
                {
                    _sizes.Remove(topic);
                    _bytes -= previous;
                }
                return true;
            }
            var total = _bytes - previous + size;
            if ((!had && _sizes.Count >= _maxMessages) || (total > _maxBytes && size > previous))
            {
                return false;
            }
            _sizes[topic] = size;
            _bytes = total;
            return true;
        }
    }

    /// <summary>Restores the account before <paramref name="change"/>, unless another publish changed the topic since.</summary>
    public void Undo(in Change change)
    {
        lock (_sizes)
        {
            var has = _sizes.TryGetValue(change.Topic, out var current);
            if ((has ? current : (int?)null) != change.Current)
            {
                return;
            }
            _bytes -= current;
            if (change.Previous is { } previous)
            {
                _sizes[change.Topic] = previous;
                _bytes += previous;
            }
            else
            {
                _sizes.Remove(change.Topic);
            }
        }
    }

    /// <summary>A topic's payload size before and after a retained publish (<c>null</c>: not retained).</summary>
    internal readonly record struct Change(string Topic, int? Previous, int? Current);
}

using System.Collections;
using System.Collections.Concurrent;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// The QoS 2 acknowledgements a session owes, by packet identifier, oldest first (a QoS 1 PUBACK never passes through
/// MQTTnet, see <see cref="DurableAckInterceptor"/>). MQTTnet queues a PUBREC on the session, not on the connection, so
/// after a takeover with a kept session the new connection's send loop may dequeue acknowledgements of the old one —
/// possibly with the same packet identifier as its own. Each entry names the connection that received the PUBLISH, so
/// an acknowledgement is only sent on that connection, after that connection's append is durable; anything else is
/// dropped (its client is gone and resends after reconnecting). Lives in the session's items, so it ends with the
/// session. Thread-safe.
/// </summary>
internal sealed class SessionAcks
{
    private static readonly object Key = new();

    // The oldest entry per packet identifier; later ones with the same identifier (only after a takeover) queue in
    // _more. One dictionary slot per acknowledgement in the common case: no allocation per publish.
    private readonly Dictionary<ushort, PendingAck> _oldest = [];
    private readonly Dictionary<ushort, Queue<PendingAck>> _more = [];

    /// <summary>The session's table, created on first use.</summary>
    public static SessionAcks For(IDictionary sessionItems)
    {
        if (sessionItems is ConcurrentDictionary<object, object> concurrent)
        {
            return (SessionAcks)concurrent.GetOrAdd(Key, static _ => new SessionAcks());
        }
        lock (sessionItems)
        {
            if (sessionItems[Key] is not SessionAcks acks)
            {
                sessionItems[Key] = acks = new SessionAcks();
            }
            return acks;
        }
    }

    /// <summary>
    /// The table of the session <paramref name="sessionItems"/> belong to, remembered on <paramref name="connection"/>
    /// (which belongs to that session for its whole life).
    /// </summary>
    public static SessionAcks For(IDictionary sessionItems, ClientConnection? connection)
    {
        if (connection is null)
        {
            return For(sessionItems);
        }
        return connection.Acks ??= For(sessionItems);
    }

    /// <summary>Entries not yet consumed (tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_oldest)
            {
                return _oldest.Count + _more.Values.Sum(q => q.Count);
            }
        }
    }

    public void Add(ushort packetId, PendingAck pending)
    {
        pending.Owner.AckRegistered();
        lock (_oldest)
        {
            if (_oldest.TryAdd(packetId, pending))
            {
                return;
            }
            if (!_more.TryGetValue(packetId, out var queue))
            {
                _more[packetId] = queue = new Queue<PendingAck>(1);
            }
            queue.Enqueue(pending);
        }
    }

    /// <summary>
    /// Forgets the entries of every connection but <paramref name="current"/>: MQTTnet clears a resumed session's
    /// queue, so their acknowledgements will never be dequeued (and their clients resend after reconnecting).
    /// </summary>
    public void ForgetOtherConnections(ClientConnection current)
    {
        lock (_oldest)
        {
            var all = _oldest.Select(e => (e.Key, Entries: _more.TryGetValue(e.Key, out var q) ? q.Prepend(e.Value) : [e.Value])).ToList();
            _oldest.Clear();
            _more.Clear();
            foreach (var (packetId, entries) in all)
            {
                foreach (var pending in entries.Where(p => ReferenceEquals(p.Owner, current)))
                {
                    if (!_oldest.TryAdd(packetId, pending))
                    {
                        if (!_more.TryGetValue(packetId, out var queue))
                        {
                            _more[packetId] = queue = new Queue<PendingAck>(1);
                        }
                        queue.Enqueue(pending);
                    }
                }
            }
        }
    }

    /// <summary>Takes the oldest entry for <paramref name="packetId"/>; the caller must call <c>Owner.AckReleased()</c>.</summary>
    public bool TryTake(ushort packetId, out PendingAck pending)
    {
        lock (_oldest)
        {
            if (!_oldest.Remove(packetId, out pending))
            {
                return false;
            }
            if (_more.TryGetValue(packetId, out var queue))
            {
                _oldest[packetId] = queue.Dequeue();
                if (queue.Count == 0)
                {
                    _more.Remove(packetId);
                }
            }
            return true;
        }
    }
}

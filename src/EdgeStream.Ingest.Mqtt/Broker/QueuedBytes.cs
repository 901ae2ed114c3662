namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// Bytes (<see cref="MessageSize"/>) of messages queued for delivery, per session and in all (<c>Mqtt:Sessions:MaxQueuedBytes</c>,
/// <c>MaxQueuedBytesTotal</c>). MQTTnet bounds its queues by count only, so without this 10,000 offline sessions of
/// 1000 messages each could hold 100,000 payloads of up to the packet limit in memory.
/// </summary>
/// <remarks>
/// MQTTnet tells when a copy is queued and when it is sent, but not when a queue is emptied otherwise (a resumed
/// session's QoS 0 copies, a clean start): such copies stay counted until <see cref="Reconcile"/> sees the queue empty.
/// A copy sent again after a resume is subtracted twice; counts never go below zero. A message is always queued to an
/// empty session, so a payload larger than the per-session limit can still be delivered. Thread-safe.
/// </remarks>
internal sealed class QueuedBytes
{
    private readonly Dictionary<string, long> _sessions = new(StringComparer.Ordinal);
    private readonly long _maxPerSession;
    private readonly long _maxTotal;
    private long _total;

    public QueuedBytes(long maxPerSession, long maxTotal)
    {
        _maxPerSession = maxPerSession;
        _maxTotal = maxTotal;
    }

    /// <summary>What <see cref="TryAdd"/> decided.</summary>
    public enum Verdict
    {
        Queued,
        SessionFull,
        TotalFull,
    }

    /// <summary>Bytes queued for all sessions.</summary>
    public long Total
    {
        get
        {
            lock (_sessions)
            {
                return _total;
            }
        }
    }

    /// <summary>Bytes queued for one session.</summary>
    public long Of(string clientId)
    {
        lock (_sessions)
        {
            return _sessions.GetValueOrDefault(clientId);
        }
    }

    /// <summary>Counts a copy about to be queued for <paramref name="clientId"/>, unless a limit forbids it.</summary>
    public Verdict TryAdd(string clientId, long bytes)
    {
        lock (_sessions)
        {
            var queued = _sessions.GetValueOrDefault(clientId);
            if (queued > 0 && queued + bytes > _maxPerSession)
            {
                return Verdict.SessionFull;
            }
            if (_total > 0 && _total + bytes > _maxTotal)
            {
                return Verdict.TotalFull;
            }
            _sessions[clientId] = queued + bytes;
            _total += bytes;
            return Verdict.Queued;
        }
    }

    /// <summary>A counted copy left the queue: sent, or dropped by MQTTnet after <see cref="TryAdd"/>.</summary>
    public void Remove(string clientId, long bytes)
    {
        lock (_sessions)
        {
            if (!_sessions.TryGetValue(clientId, out var queued))
            {
                return;
            }
            var removed = Math.Min(queued, bytes);
            _total -= removed;
            if (queued == removed)
            {
                _sessions.Remove(clientId);
            }
            else
            {
                _sessions[clientId] = queued - removed;
            }
        }
    }

    /// <summary>The session's queue is gone or was emptied without its copies being sent (deleted, clean start).</summary>
    public void Forget(string clientId)
    {
        lock (_sessions)
        {
            if (_sessions.Remove(clientId, out var queued))
            {
                _total -= queued;
            }
        }
    }

    /// <summary>
    /// Forgets the sessions that <paramref name="pendingBySession"/> (MQTTnet's own queue lengths) shows empty or
    /// absent, correcting what the queue lost without telling.
    /// </summary>
    public void Reconcile(IReadOnlyDictionary<string, long> pendingBySession)
    {
        lock (_sessions)
        {
            List<string>? empty = null;
            foreach (var (id, _) in _sessions)
            {
                if (pendingBySession.GetValueOrDefault(id) == 0)
                {
                    (empty ??= []).Add(id);
                }
            }
            foreach (var id in empty ?? [])
            {
                _total -= _sessions[id];
                _sessions.Remove(id);
            }
        }
    }
}

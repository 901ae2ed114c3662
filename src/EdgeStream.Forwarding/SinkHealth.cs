namespace EdgeStream.Forwarding;

/// <summary>
/// Connectivity state, last error and counters of one sink, updated by its loops and the resilience callbacks, plus
/// what the sink's client itself says about reachability (<see cref="ISinkConnectivity"/>). State changes are reported
/// to the caller so logs are written once per change, not once per retry. Thread-safe (a lock guards the state;
/// counters are interlocked).
/// </summary>
internal sealed class SinkHealth(TimeProvider time)
{
    private readonly object _gate = new();
    private SinkState _state = SinkState.Connected;
    private bool _circuitOpen;
    private long _sentRecords;
    private long _sentBytes;

    public bool Paused { get; set; }

    /// <summary>The sink's own view of reachability, when it has one.</summary>
    public ISinkConnectivity? Connectivity { get; set; }

    public string? LastError { get; private set; }

    public DateTimeOffset? LastErrorAt { get; private set; }

    public DateTimeOffset? LastSuccessAt { get; private set; }

    public long SentRecords => Interlocked.Read(ref _sentRecords);

    public long SentBytes => Interlocked.Read(ref _sentBytes);

    public SinkState State
    {
        get
        {
            // Read outside the lock: the sink's client answers from its own state.
            var unreachable = Connectivity?.Unreachable;
            lock (_gate)
            {
                if (Paused)
                {
                    return SinkState.Paused;
                }
                if (_state == SinkState.Rejected)
                {
                    return SinkState.Rejected;
                }
                if (_circuitOpen)
                {
                    return SinkState.Open;
                }
                return unreachable is not null && _state == SinkState.Connected ? SinkState.Disconnected : _state;
            }
        }
    }

    /// <summary>Records an acknowledged batch; returns the state it left when that was a failure state, else null.</summary>
    public SinkState? OnSuccess(int records, long bytes)
    {
        Interlocked.Add(ref _sentRecords, records);
        Interlocked.Add(ref _sentBytes, bytes);
        lock (_gate)
        {
            var was = _state;
            _state = SinkState.Connected;
            LastSuccessAt = time.GetUtcNow();
            return was == SinkState.Connected ? null : was;
        }
    }

    /// <summary>Records a failed send; returns true when the state changed (the caller logs only then).</summary>
    public bool OnFailure(Exception? error)
    {
        lock (_gate)
        {
            var next = error is SinkRejectedException ? SinkState.Rejected : SinkState.Backoff;
            var changed = next != _state;
            _state = next;
            LastError = error is null ? "unknown error" : SecretRedaction.Redact($"{error.GetType().Name}: {error.Message}");
            LastErrorAt = time.GetUtcNow();
            return changed;
        }
    }

    public void OnCircuit(bool open)
    {
        lock (_gate)
        {
            _circuitOpen = open;
        }
    }
}

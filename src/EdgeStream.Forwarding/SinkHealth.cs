namespace EdgeStream.Forwarding;

/// <summary>
/// Connectivity state, last error and counters of one sink, updated by its loops and the resilience callbacks.
/// Thread-safe (a lock guards the state; counters are interlocked).
/// </summary>
internal sealed class SinkHealth(TimeProvider time)
{
    private readonly object _gate = new();
    private SinkState _state = SinkState.Connected;
    private bool _circuitOpen;
    private long _sentRecords;
    private long _sentBytes;

    public bool Paused { get; set; }

    public string? LastError { get; private set; }

    public DateTimeOffset? LastErrorAt { get; private set; }

    public DateTimeOffset? LastSuccessAt { get; private set; }

    public long SentRecords => Interlocked.Read(ref _sentRecords);

    public long SentBytes => Interlocked.Read(ref _sentBytes);

    public SinkState State
    {
        get
        {
            lock (_gate)
            {
                return Paused ? SinkState.Paused : _circuitOpen ? SinkState.Open : _state;
            }
        }
    }

    public void OnSuccess(int records, long bytes)
    {
        Interlocked.Add(ref _sentRecords, records);
        Interlocked.Add(ref _sentBytes, bytes);
        lock (_gate)
        {
            _state = SinkState.Connected;
            LastSuccessAt = time.GetUtcNow();
        }
    }

    public void OnFailure(Exception? error)
    {
        lock (_gate)
        {
            _state = SinkState.Backoff;
            LastError = error is null ? "unknown error" : SecretRedaction.Redact($"{error.GetType().Name}: {error.Message}");
            LastErrorAt = time.GetUtcNow();
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

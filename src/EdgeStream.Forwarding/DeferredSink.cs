namespace EdgeStream.Forwarding;

/// <summary>
/// Stands in for a sink its factory could not create at start (a CA file not there yet, a client setting the library
/// refuses). Every send tries to create it again and, until that works, fails with <see cref="SinkRejectedException"/>:
/// the engine retries with the sink's backoff and shows it as rejected with the reason, while ingest and the other
/// sinks carry on. Once created, it only passes sends through. Thread-safe.
/// </summary>
internal sealed class DeferredSink(ISinkFactory factory, SinkContext context) : ISink, ISinkConnectivity
{
    private readonly Lock _lock = new();
    private ISink? _inner;
    private bool _disposed;

    /// <summary>What a failed creation is reported as.</summary>
    public static SinkRejectedException Rejected(Exception error)
        => new($"The sink's client could not be created: {error.Message}", error);

    public string? Unreachable => (Volatile.Read(ref _inner) as ISinkConnectivity)?.Unreachable;

    public async Task<SendResult> SendAsync(SinkBatch batch, CancellationToken cancellationToken)
        => await Inner().SendAsync(batch, cancellationToken).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        ISink? inner;
        lock (_lock)
        {
            _disposed = true;
            inner = _inner;
        }
        if (inner is not null)
        {
            await inner.DisposeAsync().ConfigureAwait(false);
        }
    }

    private ISink Inner()
    {
        if (Volatile.Read(ref _inner) is { } created)
        {
            return created;
        }
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_inner is null)
            {
                try
                {
                    Volatile.Write(ref _inner, factory.Create(context));
                }
                catch (Exception e)
                {
                    throw Rejected(e);
                }
            }
            return _inner;
        }
    }
}

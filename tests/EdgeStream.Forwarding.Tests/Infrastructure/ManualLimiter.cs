using System.Threading.RateLimiting;

namespace EdgeStream.Forwarding.Tests.Infrastructure;

/// <summary>
/// A rate limiter whose tokens the test adds with <see cref="Add"/> (the BCL token bucket's manual replenishment is
/// time-based in .NET 10, so it cannot drive a timing-free test). Waiters are served first-come.
/// </summary>
public sealed class ManualLimiter(int tokens) : RateLimiter
{
    private readonly object _lock = new();
    private readonly Queue<(int Count, TaskCompletionSource<RateLimitLease> Tcs)> _queue = new();
    private int _tokens = tokens;

    public override TimeSpan? IdleDuration => null;

    public void Add(int count)
    {
        var granted = new List<TaskCompletionSource<RateLimitLease>>();
        lock (_lock)
        {
            _tokens += count;
            while (_queue.Count > 0 && (_queue.Peek().Tcs.Task.IsCompleted || _queue.Peek().Count <= _tokens))
            {
                var (n, tcs) = _queue.Dequeue();
                if (!tcs.Task.IsCompleted)
                {
                    _tokens -= n;
                    granted.Add(tcs);
                }
            }
        }
        foreach (var g in granted)
        {
            g.TrySetResult(Lease.Acquired);
        }
    }

    public override RateLimiterStatistics? GetStatistics() => null;

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        lock (_lock)
        {
            if (_queue.Count == 0 && permitCount <= _tokens)
            {
                _tokens -= permitCount;
                return Lease.Acquired;
            }
            return Lease.Failed;
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        TaskCompletionSource<RateLimitLease> tcs;
        lock (_lock)
        {
            if (_queue.Count == 0 && permitCount <= _tokens)
            {
                _tokens -= permitCount;
                return ValueTask.FromResult<RateLimitLease>(Lease.Acquired);
            }
            tcs = new TaskCompletionSource<RateLimitLease>(TaskCreationOptions.RunContinuationsAsynchronously);
            _queue.Enqueue((permitCount, tcs));
        }
        cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken));
        return new ValueTask<RateLimitLease>(tcs.Task);
    }

    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public static readonly Lease Acquired = new(true);
        public static readonly Lease Failed = new(false);

        public override bool IsAcquired { get; } = acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}

using System.Threading.RateLimiting;

namespace EdgeStream.Forwarding;

/// <summary>
/// A sink's bandwidth cap shared by all its loops: a token bucket of bytes per second, handed out one batch at a time
/// by strict priority. A loop marks its partition as having a backlog (<see cref="SetBacklog"/>); a waiter gets its turn
/// only when no partition of higher priority has a backlog — even one that is momentarily busy sending, which is what
/// makes an alarm topic drain first instead of merely alternating with bulk data. First-come within a priority.
/// Because a loop only asks for its next batch after the previous one is sent, per-partition order is unaffected.
/// Without a cap every acquire completes at once. Thread-safe.
/// </summary>
internal sealed class PriorityBandwidthGate : IDisposable
{
    private readonly RateLimiter? _limiter;
    private readonly int _chunk;
    private readonly object _lock = new();
    private readonly PriorityQueue<TaskCompletionSource, (int NegPriority, long Seq)> _waiting = new();
    private readonly SortedDictionary<int, int> _backlogs = [];
    private long _seq;
    private bool _busy;

    private PriorityBandwidthGate(RateLimiter? limiter, int chunk)
    {
        _limiter = limiter;
        _chunk = chunk;
    }

    public static PriorityBandwidthGate Unlimited() => new(null, 0);

    /// <summary>A bucket holding one second of bytes, refilled every 100 ms.</summary>
    public static PriorityBandwidthGate PerSecond(long bytesPerSecond)
    {
        var limit = (int)Math.Min(bytesPerSecond, int.MaxValue);
        return new(new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit,
            TokensPerPeriod = Math.Max(1, limit / 10),
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
            AutoReplenishment = true,
            QueueLimit = limit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        }), limit);
    }

    /// <summary>For tests: a caller-driven limiter (e.g. a token bucket with manual replenishment).</summary>
    internal static PriorityBandwidthGate With(RateLimiter limiter, int chunk) => new(limiter, chunk);

    /// <summary>Waits until <paramref name="bytes"/> may be sent.</summary>
    public async ValueTask AcquireAsync(int priority, long bytes, CancellationToken cancellationToken)
    {
        if (_limiter is null || bytes <= 0)
        {
            return;
        }
        await WaitTurnAsync(priority, cancellationToken).ConfigureAwait(false);
        try
        {
            // A batch larger than the bucket takes several fills; chunks never exceed the bucket so each can succeed.
            var remaining = bytes;
            while (remaining > 0)
            {
                var n = (int)Math.Min(remaining, _chunk);
                using var lease = await _limiter.AcquireAsync(n, cancellationToken).ConfigureAwait(false);
                if (!lease.IsAcquired)
                {
                    throw new InvalidOperationException("The bandwidth limiter refused a lease it should have queued.");
                }
                remaining -= n;
            }
        }
        finally
        {
            ReleaseTurn();
        }
    }

    /// <summary>Records whether a partition of <paramref name="priority"/> has records waiting to be sent.</summary>
    public void SetBacklog(int priority, bool hasBacklog)
    {
        if (_limiter is null)
        {
            return;
        }
        lock (_lock)
        {
            _backlogs.TryGetValue(priority, out var n);
            n += hasBacklog ? 1 : -1;
            if (n > 0)
            {
                _backlogs[priority] = n;
            }
            else
            {
                _backlogs.Remove(priority);
            }
            if (!hasBacklog && !_busy)
            {
                GrantNextLocked();
            }
        }
    }

    private Task WaitTurnAsync(int priority, CancellationToken cancellationToken)
    {
        TaskCompletionSource tcs;
        lock (_lock)
        {
            if (!_busy && priority >= HighestBacklogLocked())
            {
                _busy = true;
                return Task.CompletedTask;
            }
            tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue(tcs, (-priority, _seq++));
        }
        if (cancellationToken.CanBeCanceled)
        {
            // A cancelled waiter stays queued but is skipped by ReleaseTurn (TrySetResult fails on it).
            var registration = cancellationToken.Register(static s => ((TaskCompletionSource)s!).TrySetCanceled(), tcs);
            return AwaitAndUnregister(tcs.Task, registration);
        }
        return tcs.Task;
    }

    private static async Task AwaitAndUnregister(Task task, CancellationTokenRegistration registration)
    {
        await using (registration.ConfigureAwait(false))
        {
            await task.ConfigureAwait(false);
        }
    }

    private void ReleaseTurn()
    {
        lock (_lock)
        {
            _busy = false;
            GrantNextLocked();
        }
    }

    // Hands the turn to the best waiter unless a higher-priority partition still has a backlog (it will ask soon).
    private void GrantNextLocked()
    {
        while (_waiting.TryPeek(out var next, out var key))
        {
            if (next.Task.IsCompleted)
            {
                _waiting.Dequeue();
                continue;
            }
            if (-key.NegPriority < HighestBacklogLocked())
            {
                return;
            }
            _waiting.Dequeue();
            if (next.TrySetResult())
            {
                _busy = true;
                return;
            }
        }
    }

    private int HighestBacklogLocked() => _backlogs.Count == 0 ? int.MinValue : _backlogs.Keys.Max();

    public void Dispose() => _limiter?.Dispose();
}

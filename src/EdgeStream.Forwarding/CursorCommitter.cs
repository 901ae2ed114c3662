using EdgeStream.Log;

namespace EdgeStream.Forwarding;

/// <summary>
/// Commits one partition's cursor for a forwarding loop without making sends wait for the fsync: at most one commit
/// is in flight, and it always writes the newest acknowledged offset (intermediate ones are coalesced). The cursor
/// therefore only ever covers records upstream acknowledged; after a crash at most the not-yet-committed tail is
/// resent. <see cref="Request"/> and <see cref="FlushAsync"/> are called by the loop's task only; the commit runs
/// beside it. The owner must <see cref="FlushAsync"/> before it ends, so no commit outlives it.
/// </summary>
internal sealed class CursorCommitter(LogStore log, string name, string topic, int partition, long committed)
{
    private readonly object _lock = new();
    private long _wanted = committed;
    private long _committed = committed;
    private bool _running;
    private Task _inFlight = Task.CompletedTask;

    /// <summary>The durably committed offset.</summary>
    public long Committed => Volatile.Read(ref _committed);

    /// <summary>Asks for the cursor to move to <paramref name="next"/>; rethrows a failed earlier commit.</summary>
    public void Request(long next)
    {
        if (_inFlight.IsFaulted)
        {
            _inFlight.GetAwaiter().GetResult();
        }
        lock (_lock)
        {
            _wanted = Math.Max(_wanted, next);
            if (_running)
            {
                return;
            }
            _running = true;
        }
        _inFlight = RunAsync();
    }

    /// <summary>Completes once everything requested so far is durable.</summary>
    public async Task FlushAsync()
    {
        while (true)
        {
            await _inFlight.ConfigureAwait(false);
            lock (_lock)
            {
                if (!_running && _wanted <= _committed)
                {
                    return;
                }
            }
        }
    }

    private async Task RunAsync()
    {
        // Yield first so the caller (the send loop) goes on while the write and fsync run.
        await Task.Yield();
        try
        {
            while (true)
            {
                long target;
                lock (_lock)
                {
                    target = _wanted;
                    if (target <= _committed)
                    {
                        _running = false;
                        return;
                    }
                }
                // Not cancellable: a started local write + fsync should finish, or the batch is resent after restart.
                await log.CommitCursorAsync(name, topic, partition, target, CancellationToken.None).ConfigureAwait(false);
                lock (_lock)
                {
                    _committed = target;
                }
            }
        }
        catch
        {
            lock (_lock)
            {
                _running = false;
            }
            throw;
        }
    }
}

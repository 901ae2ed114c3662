using EdgeStream.Log;

namespace EdgeStream.Forwarding;

/// <summary>
/// Commits one partition's cursor for a forwarding loop without making sends wait for the fsync: at most one commit
/// is in flight, and it always writes the newest acknowledged offset (intermediate ones are coalesced). The cursor
/// therefore only ever covers records upstream acknowledged; after a crash at most the not-yet-committed tail is
/// resent. <see cref="Request"/> and <see cref="FlushAsync"/> are called by the loop's task only; the commit runs
/// beside it. The owner must <see cref="FlushAsync"/> before it ends, so no commit outlives it.
/// The log queues every commit to its cursor flusher (group commit), so no thread blocks in fsync here and loops of
/// all sinks share the flusher's fsyncs.
/// </summary>
/// After a commit, the next one waits until <paramref name="minInterval"/> has passed (acknowledgements meanwhile are
/// coalesced into it), which bounds the fsync load; <see cref="FlushAsync"/> does not wait for the interval.
internal sealed class CursorCommitter(LogStore log, string name, string topic, int partition, long committed, TimeSpan minInterval, TimeProvider time)
{
    // Cancelled by FlushAsync to cut the pause between commits short; replaced each time (no timer, so nothing to dispose).
    private CancellationTokenSource _pause = new();
    private readonly object _lock = new();
    private long _wanted = committed;
    private long _committed = committed;
    private bool _running;
    private Task _inFlight = Task.CompletedTask;
    // Completed (and replaced) after each commit.
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The durably committed offset.</summary>
    public long Committed => Volatile.Read(ref _committed);

    /// <summary>The newest offset asked for: upstream has acknowledged everything below it.</summary>
    public long Acknowledged => Interlocked.Read(ref _wanted);

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

    /// <summary>
    /// Completes once everything requested so far is durable; rethrows a failed commit. Does not wait out the pause
    /// that follows the last commit.
    /// </summary>
    public async Task FlushAsync()
    {
        while (true)
        {
            Task committed;
            Task inFlight;
            CancellationTokenSource pause;
            lock (_lock)
            {
                if (_wanted <= _committed)
                {
                    return;
                }
                committed = _advanced.Task;
                inFlight = _inFlight;
                // Cut the pause between commits short: whoever flushes is about to idle or stop.
                pause = _pause;
                _pause = new CancellationTokenSource();
            }
            await pause.CancelAsync().ConfigureAwait(false);
            await Task.WhenAny(committed, inFlight).ConfigureAwait(false);
            if (inFlight.IsFaulted)
            {
                await inFlight.ConfigureAwait(false);
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
                CancellationToken pauseToken;
                TaskCompletionSource advanced;
                lock (_lock)
                {
                    _committed = target;
                    advanced = _advanced;
                    _advanced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    pauseToken = _pause.Token;
                }
                advanced.TrySetResult();
                if (minInterval > TimeSpan.Zero && !pauseToken.IsCancellationRequested)
                {
                    try
                    {
                        await Task.Delay(minInterval, time, pauseToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // Flushed: commit what is pending now.
                    }
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

namespace EdgeStream.Forwarding;

/// <summary>An async open/closed gate: loops wait on it before each batch while the sink is paused. Thread-safe.</summary>
internal sealed class PauseGate
{
    private readonly object _lock = new();
    private TaskCompletionSource _open = NewOpen();

    public PauseGate(bool paused)
    {
        if (paused)
        {
            _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public bool IsPaused
    {
        get
        {
            lock (_lock)
            {
                return !_open.Task.IsCompleted;
            }
        }
    }

    public Task WaitOpenAsync(CancellationToken cancellationToken)
    {
        Task t;
        lock (_lock)
        {
            t = _open.Task;
        }
        return t.IsCompleted ? Task.CompletedTask : t.WaitAsync(cancellationToken);
    }

    public void Pause()
    {
        lock (_lock)
        {
            if (_open.Task.IsCompleted)
            {
                _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public void Resume()
    {
        lock (_lock)
        {
            _open.TrySetResult();
        }
    }

    private static TaskCompletionSource NewOpen()
    {
        var t = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        t.SetResult();
        return t;
    }
}

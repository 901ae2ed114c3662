using EdgeStream.Log;

namespace EdgeStream.Ingest.Mqtt.Tests.Infrastructure;

/// <summary>
/// Wraps the real log and holds every durability wait until <see cref="Release"/> (then delegates to the real wait),
/// counting appends and waits so tests can observe what happened while durability was held back.
/// </summary>
internal sealed class GatedIngestLog(IIngestLog inner) : IIngestLog
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstWait = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _appends;
    private int _waits;

    public int Appends => Volatile.Read(ref _appends);

    public int Waits => Volatile.Read(ref _waits);

    /// <summary>Completes when the first acknowledgement starts waiting for durability.</summary>
    public Task FirstWaitStarted => _firstWait.Task;

    public Func<LogRecord, Exception?>? FailAppend { get; set; }

    public void Release() => _gate.TrySetResult();

    public async ValueTask<AppendResult> AppendAsync(string topic, LogRecord record, CancellationToken cancellationToken)
    {
        if (FailAppend?.Invoke(record) is { } failure)
        {
            throw failure;
        }
        var result = await inner.AppendAsync(topic, record, cancellationToken);
        Interlocked.Increment(ref _appends);
        return result;
    }

    public async ValueTask WaitForDurableAsync(string topic, int partition, long offset, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waits);
        _firstWait.TrySetResult();
        await _gate.Task.WaitAsync(cancellationToken);
        await inner.WaitForDurableAsync(topic, partition, offset, cancellationToken);
    }
}

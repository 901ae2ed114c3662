using EdgeStream.Log;
using EdgeStream.Log.Ingest;

namespace EdgeStream.Ingest.Mqtt.Tests.Infrastructure;

/// <summary>
/// Wraps the real log and holds every durability wait until <see cref="Release"/> (then delegates to the real wait),
/// counting appends and waits so tests can observe what happened while durability was held back.
/// </summary>
internal sealed class GatedIngestLog(IIngestWriter inner) : DelegatingIngestWriter(inner)
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstWait = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _appends;
    private int _waits;
    private readonly Lock _lastAppendLock = new();
    private (string Topic, int Partition, long Offset)? _lastAppend;

    public int Appends => Volatile.Read(ref _appends);

    public int Waits => Volatile.Read(ref _waits);

    /// <summary>Completes when the first acknowledgement starts waiting for durability.</summary>
    public Task FirstWaitStarted => _firstWait.Task;

    public Func<LogRecord, Exception?>? FailAppend { get; set; }

    /// <summary>After the gate: the failure the durability wait for an offset ends with (an fsync that failed), if any.</summary>
    public Func<long, Exception?>? FailWait { get; set; }

    public void Release() => _gate.TrySetResult();

    /// <summary>
    /// Waits, past the gate, until the real log has made the last append durable: so that, released, every held wait
    /// completes at once instead of some of them waiting for a later fsync.
    /// </summary>
    public async Task WaitUntilAppendsDurableAsync(CancellationToken cancellationToken)
    {
        (string Topic, int Partition, long Offset)? last;
        lock (_lastAppendLock)
        {
            last = _lastAppend;
        }
        if (last is { } append)
        {
            await Inner.WaitForDurableAsync(append.Topic, append.Partition, append.Offset, cancellationToken);
        }
    }

    public override async ValueTask<AppendResult> AppendAsync(string topic, LogRecord record, CancellationToken cancellationToken)
    {
        if (FailAppend?.Invoke(record) is { } failure)
        {
            throw failure;
        }
        var result = await Inner.AppendAsync(topic, record, cancellationToken);
        Interlocked.Increment(ref _appends);
        lock (_lastAppendLock)
        {
            _lastAppend = (topic, result.Partition, result.LastOffset);
        }
        return result;
    }

    public override async ValueTask WaitForDurableAsync(string topic, int partition, long offset, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waits);
        _firstWait.TrySetResult();
        await _gate.Task.WaitAsync(cancellationToken);
        if (FailWait?.Invoke(offset) is { } failure)
        {
            throw failure;
        }
        await Inner.WaitForDurableAsync(topic, partition, offset, cancellationToken);
    }
}

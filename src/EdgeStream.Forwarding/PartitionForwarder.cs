using System.Text;
using EdgeStream.Faults;
using EdgeStream.Log;

namespace EdgeStream.Forwarding;

/// <summary>
/// The loop of one (sink, topic, partition): read from the sink's cursor, batch, wait for bandwidth, send through the
/// sink's resilience pipeline, and only after upstream acknowledged, hand the new cursor to its
/// <see cref="CursorCommitter"/>. One batch in flight at a time, which is what keeps per-partition order. Rejected
/// records go to <c>&lt;topic&gt;.dlq</c> (durably) before the cursor passes them. Not thread-safe: one task runs
/// <see cref="RunAsync"/>.
/// </summary>
internal sealed class PartitionForwarder(SinkRunner sink, string topic, int partition, int priority, StartPosition start)
{
    private long _startOffset = -1;
    private CursorCommitter? _committer;
    private bool _hasBacklog;

    public string Topic { get; } = topic;

    public int Partition { get; } = partition;

    /// <summary>Whether this loop is faulted (set by <see cref="SinkRunner"/>, cleared here on progress).</summary>
    public LoopFault Fault { get; } = new(SecretRedaction.Redact);

    /// <summary>The committed cursor, or -1 before the loop has resolved its start.</summary>
    public long Committed => Volatile.Read(ref _committer)?.Committed ?? Volatile.Read(ref _startOffset);

    /// <summary>One past the last record upstream acknowledged (committed or not yet), or -1 before the start is resolved.</summary>
    public long Acknowledged => Volatile.Read(ref _committer)?.Acknowledged ?? Volatile.Read(ref _startOffset);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var next = await ResolveStartAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _startOffset, next);
        var limits = new ReadLimits(sink.Options.Batch.MaxRecords, sink.Options.Batch.MaxBytes);
        try
        {
            await ForwardAsync(next, limits, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            SetBacklog(false);
        }
    }

    // Tells the bandwidth gate whether this partition has records to send (see PriorityBandwidthGate).
    private void SetBacklog(bool value)
    {
        if (_hasBacklog != value)
        {
            _hasBacklog = value;
            sink.Bandwidth.SetBacklog(priority, value);
        }
    }

    private async Task ForwardAsync(long next, ReadLimits limits, CancellationToken cancellationToken)
    {
        var log = sink.Log;
        // Commits run beside the sends (coalesced, in order, only for acknowledged batches), so the cursor's fsync
        // latency does not cap the drain rate.
        var committer = new CursorCommitter(log, sink.Name, Topic, Partition, next, sink.CommitInterval, sink.Time);
        Volatile.Write(ref _committer, committer);
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await sink.Pause.WaitOpenAsync(cancellationToken).ConfigureAwait(false);
                var read = log.Read(Topic, Partition, next, limits);
                if (read.Records.Count == 0)
                {
                    if (read.NextOffset > next)
                    {
                        // Retention removed records below the log start before we forwarded them (disk budget won).
                        ForwardingLog.RecordsSkipped(sink.Logger, sink.Name, Topic, Partition, next, read.NextOffset);
                        next = read.NextOffset;
                        continue;
                    }
                    // Caught up: let lower-priority partitions use the bandwidth. The cursor of the last batch is
                    // already requested and becomes durable within the commit interval; flushing it here instead made
                    // a live stream (caught up after nearly every batch) pay one cursor fsync per batch.
                    Recovered();
                    SetBacklog(false);
                    await log.WaitForRecordsAsync(Topic, Partition, next, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                SetBacklog(true);
                var (records, bytes) = await LingerAsync(read, limits, cancellationToken).ConfigureAwait(false);
                if (records[0].Offset > next)
                {
                    ForwardingLog.RecordsSkipped(sink.Logger, sink.Name, Topic, Partition, next, records[0].Offset);
                }
                var batch = new SinkBatch(sink.NodeId, Topic, Partition, records);
                await sink.Bandwidth.AcquireAsync(priority, bytes, cancellationToken).ConfigureAwait(false);
                var result = await sink.Pipeline.ExecuteAsync(
                    static (state, ct) => new ValueTask<SendResult>(state.Sink.SendAsync(state.Batch, ct)),
                    (sink.Sink, Batch: batch),
                    cancellationToken).ConfigureAwait(false);
                if (result.Rejected.Count > 0)
                {
                    await DeadLetterAsync(batch, result.Rejected, cancellationToken).ConfigureAwait(false);
                }
                // Counted before the acknowledged offset moves: a status that shows the batch acknowledged (no lag)
                // also counts it as sent.
                if (sink.Health.OnSuccess(records.Count - result.Rejected.Count, bytes) is { } was)
                {
                    ForwardingLog.SinkRecovered(sink.Logger, sink.Name, was);
                }
                sink.Metrics.Sent(sink.Name, Topic, records.Count - result.Rejected.Count, bytes);
                next = batch.LastOffset + 1;
                committer.Request(next);
                Recovered();
            }
        }
        finally
        {
            // Even on shutdown, finish the commit of what upstream already acknowledged (less to resend after restart).
            await committer.FlushAsync().ConfigureAwait(false);
        }
    }

    private void Recovered()
    {
        if (Fault.Clear())
        {
            ForwardingLog.LoopRecovered(sink.Logger, sink.Name, Topic, Partition);
        }
    }

    private async Task<long> ResolveStartAsync(CancellationToken cancellationToken)
    {
        var log = sink.Log;
        if (log.GetCursor(sink.Name, Topic, Partition) is { } cursor)
        {
            return cursor;
        }
        long offset = start.Kind switch
        {
            StartKind.Latest => log.GetTopic(Topic)?.Partitions.FirstOrDefault(p => p.Partition == Partition)?.DurableOffset ?? 0,
            StartKind.Timestamp => log.FindOffset(Topic, Partition, start.Timestamp),
            _ => 0,
        };
        // Committed at once so a restart before the first send does not re-evaluate "latest" or a timestamp.
        await log.CommitCursorAsync(sink.Name, Topic, Partition, offset, cancellationToken).ConfigureAwait(false);
        ForwardingLog.PartitionStarted(sink.Logger, sink.Name, Topic, Partition, offset, start.Kind.ToString());
        return offset;
    }

    // With a linger time, a batch that is not full waits once for more records, then takes what is there. Returns the
    // batch's records and payload bytes (computed once: the bandwidth gate, health and metrics all need it).
    private async ValueTask<(IReadOnlyList<StoredRecord> Records, long Bytes)> LingerAsync(ReadResult read, ReadLimits limits, CancellationToken cancellationToken)
    {
        var linger = sink.Options.Batch.Linger;
        var count = read.Records.Count;
        var bytes = SinkBatch.SizeOf(read.Records);
        if (linger <= TimeSpan.Zero || count >= limits.MaxRecords || bytes >= limits.MaxBytes)
        {
            return (read.Records, bytes);
        }
        await Task.Delay(linger, sink.Time, cancellationToken).ConfigureAwait(false);
        var more = sink.Log.Read(Topic, Partition, read.NextOffset, new ReadLimits(limits.MaxRecords - count, (int)Math.Max(1, limits.MaxBytes - bytes)));
        if (more.Records.Count == 0)
        {
            return (read.Records, bytes);
        }
        // ReadLimits lets one oversized record through; keep the batch within MaxBytes unless it is that first record.
        var list = new List<StoredRecord>(read.Records);
        foreach (var r in more.Records)
        {
            var size = SinkBatch.SizeOf(r);
            if (bytes + size > limits.MaxBytes)
            {
                break;
            }
            list.Add(r);
            bytes += size;
        }
        return (list, bytes);
    }

    private async Task DeadLetterAsync(SinkBatch batch, IReadOnlyList<RejectedRecord> rejected, CancellationToken cancellationToken)
    {
        var dlq = Topic + ".dlq";
        // Created explicitly: dead letters must be kept even when the log does not auto-create topics.
        sink.Log.EnsureTopic(dlq);
        foreach (var r in rejected)
        {
            var headers = new List<RecordHeader>(r.Record.Headers)
            {
                new("edgestream.dlq.sink", Encoding.UTF8.GetBytes(sink.Name)),
                new("edgestream.dlq.reason", Encoding.UTF8.GetBytes(r.Reason)),
                new("edgestream.dlq.source", Encoding.UTF8.GetBytes(batch.IdOf(r.Record))),
            };
            var appended = await sink.Log.AppendAsync(dlq, new LogRecord(r.Record.Value, r.Record.Key, r.Record.Timestamp, headers), cancellationToken).ConfigureAwait(false);
            // The cursor moves past the record right after this, so the dead-letter copy must be durable first.
            await sink.Log.WaitForDurableAsync(dlq, appended.Partition, appended.LastOffset, cancellationToken).ConfigureAwait(false);
            ForwardingLog.DeadLettered(sink.Logger, sink.Name, Topic, Partition, r.Record.Offset, dlq, r.Reason);
        }
        sink.Metrics.DeadLettered(sink.Name, Topic, rejected.Count);
    }
}

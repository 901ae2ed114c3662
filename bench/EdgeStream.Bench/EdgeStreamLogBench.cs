using EdgeStream.Log;

namespace EdgeStream.Bench;

/// <summary>EdgeStream's log: AppendBatchAsync + WaitForDurableAsync per batch (durable append), or AppendAsync under "always".</summary>
internal static class EdgeStreamLogBench
{
    private const string Topic = "bench";

    public static async Task<Measurement> DurableBatchesAsync(string directory, string commitPolicy, Workload w, CancellationToken ct,
        bool preallocate = true, bool zeroFill = true)
    {
        await using var store = await OpenAsync(directory, commitPolicy, ct, preallocate, zeroFill);
        var payload = w.Payload();
        var batch = Enumerable.Range(0, w.BatchSize).Select(_ => new LogRecord(payload)).ToArray();
        var (records, elapsed) = await Appenders.RunAsync(w.Appenders, w.Duration, async (_, token) =>
        {
            var result = await store.AppendBatchAsync(Topic, 0, batch, token);
            await store.WaitForDurableAsync(Topic, 0, result.LastOffset, token);
            return result.Count;
        }, ct);
        var mode = !preallocate ? commitPolicy + ", no prealloc" : !zeroFill ? commitPolicy + ", no zero fill" : commitPolicy;
        return new Measurement("EdgeStream", mode, w, records, elapsed);
    }

    /// <summary>"always": each single-record append returns only once durable; concurrent appenders share fsyncs.</summary>
    public static async Task<Measurement> AlwaysSingleAsync(string directory, Workload w, CancellationToken ct, bool preallocate = true)
    {
        await using var store = await OpenAsync(directory, "always", ct, preallocate);
        var record = new LogRecord(w.Payload());
        var (records, elapsed) = await Appenders.RunAsync(w.Appenders, w.Duration, async (_, token) =>
        {
            await store.AppendAsync(Topic, record, token);
            return 1;
        }, ct);
        return new Measurement("EdgeStream", preallocate ? "always, single" : "always, single, no prealloc", w, records, elapsed);
    }

    private static async Task<LogStore> OpenAsync(string directory, string commitPolicy, CancellationToken ct, bool preallocate, bool zeroFill = true)
    {
        // One partition, so every system writes one sequential file; the disk budget is off so only I/O is measured.
        var options = new LogOptions { DataDirectory = directory, CommitPolicy = commitPolicy, MinFreeBytes = 0, MinFreePercent = 0, SegmentZeroFill = zeroFill };
        if (!preallocate)
        {
            options.SegmentPreallocationBytes = 0;
        }
        options.Topics[Topic] = new TopicSettings { Partitions = 1, SegmentBytes = 256L << 20, RetentionAge = null };
        var store = await LogStore.OpenAsync(options, cancellationToken: ct);
        store.EnsureTopic(Topic);
        return store;
    }
}

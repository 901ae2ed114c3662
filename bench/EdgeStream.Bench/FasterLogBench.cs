using FASTER.core;

namespace EdgeStream.Bench;

/// <summary>
/// Microsoft FASTER's FasterLog on the same workload: Enqueue each record of a batch, then WaitForCommitAsync past the
/// batch. A committer commits every interval (or back-to-back for "group"). On Linux FASTER's managed device opens its
/// files with FileOptions.WriteThrough (O_SYNC), so a completed commit is on disk: the same durability.
/// </summary>
internal static class FasterLogBench
{
    public static async Task<Measurement> DurableBatchesAsync(string directory, TimeSpan? commitInterval, Workload w, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        using var device = Devices.CreateLogDevice(Path.Combine(directory, "hlog.log"));
        using var log = new FasterLog(new FasterLogSettings { LogDevice = device, LogCommitDir = directory });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var committer = CommitLoopAsync(log, commitInterval, stop.Token);
        var payload = w.Payload();
        try
        {
            var (records, elapsed) = await Appenders.RunAsync(w.Appenders, w.Duration, async (_, token) =>
            {
                for (var i = 0; i < w.BatchSize; i++)
                {
                    log.Enqueue(payload);
                }
                await log.WaitForCommitAsync(log.TailAddress, token: token);
                return w.BatchSize;
            }, ct);
            return new Measurement("FasterLog", commitInterval is { } i ? $"commit/{i.TotalMilliseconds:0}ms" : "commit loop", w, records, elapsed);
        }
        finally
        {
            await stop.CancelAsync();
            await committer;
        }
    }

    private static async Task CommitLoopAsync(FasterLog log, TimeSpan? interval, CancellationToken ct)
    {
        try
        {
            if (interval is { } every)
            {
                using var timer = new PeriodicTimer(every);
                while (await timer.WaitForNextTickAsync(ct))
                {
                    log.Commit();
                }
            }
            else
            {
                while (!ct.IsCancellationRequested)
                {
                    await log.CommitAsync(token: ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}

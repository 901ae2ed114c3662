using EdgeStream.Bench;

// Durable-append benchmark: EdgeStream's log beside the disk's own limits, FasterLog and SQLite, in one run.
// Usage: dotnet run -c Release --project bench/EdgeStream.Bench [-- --quick | --one-appender [rounds]]
var quick = args.Contains("--quick");
var duration = TimeSpan.FromSeconds(quick ? 1 : 3);
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
// SQLite's connections block while waiting for its write lock; enough threads keep that from starving the others.
ThreadPool.SetMinThreads(64, 64);

var root = Path.Combine(Path.GetTempPath(), "edgestream-bench-" + Guid.NewGuid().ToString("N"));
var report = new Report(Console.Out);
var run = 0;
string Fresh() => Path.Combine(root, (run++).ToString(System.Globalization.CultureInfo.InvariantCulture));

try
{
    if (Array.IndexOf(args, "--one-appender") is var at and >= 0)
    {
        // The target that sits nearest this disk's noise, alone: alternating rounds, so a slow spell hits both systems.
        var rounds = at + 1 < args.Length && int.TryParse(args[at + 1], out var n) ? n : 5;
        ZeroFillProbe.Run(Fresh(), Console.Out);
        return await OneAppender.RunAsync(rounds, Fresh, Console.Out, cancel.Token);
    }
    Console.WriteLine($"EdgeStream log bench: {duration.TotalSeconds:0} s per case, batches of 64 and 1024 records, {Environment.ProcessorCount} cores, data under {root}");
    Console.WriteLine("Durable = fsynced before the appender counts it. MB/s counts payload bytes.");
    CrcBench.Run(Console.Out, TimeSpan.FromSeconds(quick ? 0.3 : 1));
    var batchWorkloads = new List<Workload>();
    foreach (var size in new[] { 100, 1024 })
    {
        // Small batches show per-commit overhead; large ones (what an ingest that groups a burst hands over) show
        // how close each system gets to the disk.
        foreach (var batch in new[] { 64, 1024 })
        {
            report.Add(DiskBaseline.SequentialWithPeriodicFsync(Fresh(), new Workload(size, 1, batch, duration), TimeSpan.FromMilliseconds(5)));
            foreach (var appenders in new[] { 1, 16 })
            {
                var w = new Workload(size, appenders, batch, duration);
                batchWorkloads.Add(w);
                report.Add(await EdgeStreamLogBench.DurableBatchesAsync(Fresh(), "interval:5ms", w, cancel.Token));
                report.Add(await EdgeStreamLogBench.DurableBatchesAsync(Fresh(), "group", w, cancel.Token));
                if (appenders == 1)
                {
                    // Back-to-back commits of one appender: what segment preallocation and its zero fill buy
                    // (Log:SegmentPreallocationBytes, Log:SegmentZeroFill).
                    report.Add(await EdgeStreamLogBench.DurableBatchesAsync(Fresh(), "group", w, cancel.Token, preallocate: false));
                    report.Add(await EdgeStreamLogBench.DurableBatchesAsync(Fresh(), "group", w, cancel.Token, zeroFill: false));
                }
                report.Add(await FasterLogBench.DurableBatchesAsync(Fresh(), TimeSpan.FromMilliseconds(5), w, cancel.Token));
                report.Add(await SqliteBench.DurableBatchesAsync(Fresh(), w, cancel.Token));
            }
            // Each case writes up to a few GB; keep the temp directory small.
            Directory.Delete(root, recursive: true);
        }
    }
    var always = new Workload(100, 16, 1, duration);
    report.Add(DiskBaseline.FsyncRate(Fresh(), always with { Appenders = 1 }));
    report.Add(await EdgeStreamLogBench.AlwaysSingleAsync(Fresh(), always, cancel.Token));
    // Small writes committed back to back by one appender (an SD card's worst case), with and without preallocation.
    report.Add(await EdgeStreamLogBench.AlwaysSingleAsync(Fresh(), always with { Appenders = 1 }, cancel.Token));
    report.Add(await EdgeStreamLogBench.AlwaysSingleAsync(Fresh(), always with { Appenders = 1 }, cancel.Token, preallocate: false));
    report.WriteTargets(new Workload(1024, 16, 1024, duration), new Workload(100, 16, 1024, duration), batchWorkloads, always);
    return 0;
}
finally
{
    if (Directory.Exists(root))
    {
        Directory.Delete(root, recursive: true);
    }
}

// Rule throughput: the same stored records read raw from the log (the ceiling), then through each rule run by the
// real runtime (read, evaluate, append outputs, snapshot), with CPU time and RSS per phase.
// Usage: dotnet run -c Release --project bench/EdgeStream.Bench.Processing [records] (default 300000)
using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdgeStream.Log;
using EdgeStream.Processing.Engine;
using EdgeStream.Processing.Options;
using EdgeStream.Processing.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

var records = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300_000;
const int Keys = 1000;
var dir = Directory.CreateTempSubdirectory("edgestream-bench-proc-");
try
{
    await using var log = await LogStore.OpenAsync(new LogOptions { DataDirectory = dir.FullName, CommitPolicy = "group", MinFreeBytes = 0, MinFreePercent = 0 });
    var start = new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);
    var batch = new List<LogRecord>(1000);
    for (var i = 0; i < records; i++)
    {
        var key = "s" + (i % Keys).ToString("D4", CultureInfo.InvariantCulture);
        // 1,000 sensors reporting every second: event time advances one second per round of keys.
        var ts = start.AddSeconds(i / Keys).AddMilliseconds(i % Keys);
        var t = 15 + (i * 7919 % 1000) / 100.0;
        var value = string.Create(CultureInfo.InvariantCulture,
            $$$"""{"sensor":"{{{key}}}","type":"bme280","ts":"{{{ts:yyyy-MM-ddTHH:mm:ss.fffZ}}}","quantities":{"temperature":{"value":{{{t}}},"unit":"°C"}},"tags":{"site":"north"},"status":"ok"}""");
        batch.Add(new LogRecord(Encoding.UTF8.GetBytes(value), Encoding.UTF8.GetBytes(key), ts));
        if (batch.Count == 1000)
        {
            await log.AppendBatchAsync("bench", 0, batch);
            batch.Clear();
        }
    }
    if (batch.Count > 0)
    {
        await log.AppendBatchAsync("bench", 0, batch);
    }
    await log.FlushAsync();

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{records:N0} sensor records, {Keys} keys, {Environment.ProcessorCount} cores, .NET {Environment.Version}"));
    Console.WriteLine($"{"phase",-22} {"records/s",12} {"cpu s",7} {"rec/s per cpu-s",16} {"rss MiB",8} {"rss growth",11} {"live growth",12} {"gen2",5} {"outputs",9}");
    Report("raw read (ceiling)", await Measure(async checkpoint =>
    {
        long n = 0, next = 0;
        while (true)
        {
            var read = log.Read("bench", 0, next, ReadLimits.Default);
            if (read.Records.Count == 0)
            {
                await checkpoint();
                return (n, 0L);
            }
            foreach (var r in read.Records)
            {
                n += r.Value.Length > 0 ? 1 : 0;
            }
            next = read.NextOffset;
        }
    }));

    var rules = new (string Name, RuleOptions Rule)[]
    {
        ("filter", new RuleOptions
        {
            Id = "bench-filter", From = new FromOptions { Topic = "bench" },
            Where = "/quantities/temperature/value > 24",
            To = new ToOptions { Topic = "out.filter" },
        }),
        ("tumbling mean 1000 k", new RuleOptions
        {
            Id = "bench-mean", From = new FromOptions { Topic = "bench" },
            Time = new TimeOptions { Field = "/ts" },
            Window = new WindowOptions { Type = "tumbling", Size = TimeSpan.FromSeconds(10) },
            GroupBy = ["/sensor"],
            Aggregate = new() { ["t_avg"] = "mean(/quantities/temperature/value)" },
            To = new ToOptions { Topic = "out.mean" },
        }),
        ("hopping p95 1000 k", new RuleOptions
        {
            Id = "bench-p95", From = new FromOptions { Topic = "bench" },
            Time = new TimeOptions { Field = "/ts" },
            Window = new WindowOptions { Type = "hopping", Size = TimeSpan.FromSeconds(60), Hop = TimeSpan.FromSeconds(10) },
            GroupBy = ["/sensor"],
            Aggregate = new() { ["t_p95"] = "quantile(/quantities/temperature/value, 0.95)" },
            To = new ToOptions { Topic = "out.p95" },
        }),
    };
    var windowed = new List<(string Name, Result Result)>();
    foreach (var (name, rule) in rules)
    {
        var errors = ProcessingOptionsValidation.ValidateRule(rule, "bench");
        if (errors.Count > 0)
        {
            Console.WriteLine($"{name}: invalid rule: {string.Join("; ", errors)}");
            continue;
        }
        var definition = new RuleDefinition(rule.Id, ["bench"], [rule.To.Topic!], () => RuleEvaluatorFactory.Create(rule));
        var settings = new RuntimeSettings(Path.Combine(dir.FullName, "processing"), TimeSpan.FromSeconds(5), 1000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        var engine = new ProcessingEngine(log, [definition], settings, NullLoggerFactory.Instance, TimeProvider.System, metrics: null);
        var result = await Measure(async checkpoint =>
        {
            using var stop = new CancellationTokenSource();
            var running = engine.RunAsync(stop.Token);
            while (engine.Runners[0].Progress.Inputs.Sum(i => i.NextOffset) < records)
            {
                if (running.IsCompleted || engine.Runners[0].Fault.Reason is not null)
                {
                    throw new InvalidOperationException($"{name}: {engine.Runners[0].Fault.Reason}");
                }
                await Task.Delay(2);
            }
            var appended = engine.Runners[0].Progress.Appended;
            await checkpoint();
            await stop.CancelAsync();
            await running;
            return (records, appended);
        });
        Report(name, result);
        if (name != "filter")
        {
            windowed.Add((name, result));
        }
    }

    // The issue's targets for windowed rules with 1,000 keys.
    Console.WriteLine();
    foreach (var (name, r) in windowed)
    {
        var perCore = r.Records / Math.Max(0.001, r.Cpu.TotalSeconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(perCore >= 100_000 ? "MET " : "MISS")} {name}: {perCore:N0} records/s per core (target >= 100,000)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(r.RssGrowth <= 20_000_000 ? "MET " : "MISS")} {name}: RSS growth {r.RssGrowth / 1e6:F1} MB (target <= 20 MB; live heap growth {r.HeapGrowth / 1e6:F1} MB)"));
    }
}
finally
{
    dir.Delete(recursive: true);
}

// A phase calls its checkpoint when its work is done but while it still holds its state: the clock, CPU time and RSS
// are taken there, then the live managed heap after a full collection (what the state really takes, without the
// garbage a lazy collector keeps around).
static async Task<Result> Measure(Func<Func<Task>, Task<(long Records, long Outputs)>> phase)
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    using var process = Process.GetCurrentProcess();
    process.Refresh();
    var rssBefore = process.WorkingSet64;
    var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
    var cpuBefore = process.TotalProcessorTime;
    var gen2Before = GC.CollectionCount(2);
    var clock = Stopwatch.StartNew();
    TimeSpan elapsed = default, cpu = default;
    long rss = 0, heap = 0;
    int gen2 = 0;
    var (n, outputs) = await phase(() =>
    {
        elapsed = clock.Elapsed;
        process.Refresh();
        cpu = process.TotalProcessorTime - cpuBefore;
        rss = process.WorkingSet64;
        gen2 = GC.CollectionCount(2) - gen2Before;
        heap = GC.GetTotalMemory(forceFullCollection: true);
        return Task.CompletedTask;
    });
    return new Result(n, outputs, elapsed, cpu, rss, rss - rssBefore, heap - heapBefore, gen2);
}

static void Report(string name, Result r)
    => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-22} {r.Records / r.Elapsed.TotalSeconds,12:N0} {r.Cpu.TotalSeconds,7:F2} {r.Records / Math.Max(0.001, r.Cpu.TotalSeconds),16:N0} {r.Rss / 1048576.0,8:F1} {r.RssGrowth / 1048576.0,11:F1} {r.HeapGrowth / 1048576.0,12:F1} {r.Gen2,5} {r.Outputs,9:N0}"));

internal sealed record Result(long Records, long Outputs, TimeSpan Elapsed, TimeSpan Cpu, long Rss, long RssGrowth, long HeapGrowth, int Gen2);

using System.Text;
using EdgeStream.Log;
using EdgeStream.Log.Storage;
using EdgeStream.Processing.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeStream.Processing.Tests.Runtime;

/// <summary>A log with an input topic <c>in</c> and rules running against it, for runtime tests.</summary>
internal sealed class RuleHarness : IAsyncDisposable
{
    public static readonly TimeSpan Hang = TimeSpan.FromSeconds(20);

    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    private RuleHarness(LogStore log, ProcessingEngine engine)
    {
        Log = log;
        Engine = engine;
    }

    public LogStore Log { get; }

    public ProcessingEngine Engine { get; }

    public static LogOptions LogOptionsFor(string dir, int partitions = 1, string commit = "group")
    {
        var options = new LogOptions { DataDirectory = dir, CommitPolicy = commit, MinFreeBytes = 0, MinFreePercent = 0 };
        options.Topics["in"] = new TopicSettings { Partitions = partitions };
        return options;
    }

    public static RuntimeSettings Settings(string dir, TimeSpan? snapshotInterval = null, int maxBatch = 100, TimeSpan? idleCheck = null)
        => new(Path.Combine(dir, "processing"), snapshotInterval ?? TimeSpan.FromMilliseconds(50), maxBatch, idleCheck ?? TimeSpan.FromMilliseconds(100),
            TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200));

    public static async Task<RuleHarness> StartAsync(LogOptions options, ILogStorage storage, RuntimeSettings settings, TimeProvider? time, params RuleDefinition[] rules)
    {
        var log = await LogStore.OpenAsync(options, storage, null, null, default).WaitAsync(Hang);
        var engine = new ProcessingEngine(log, rules, settings, NullLoggerFactory.Instance, time ?? TimeProvider.System, metrics: null, storage);
        var harness = new RuleHarness(log, engine);
        harness._running = Task.Run(() => engine.RunAsync(harness._stop.Token));
        return harness;
    }

    public static RuleDefinition Counting(string id, TimeSpan? idle = null, string? poison = null)
        => new(id, ["in"], ["out"], () => new CountingEvaluator(id, "out", TimeSpan.FromSeconds(10), idle) { PoisonValue = poison });

    public static LogRecord Input(string key, long ms, string value = "x")
        => new(Encoding.UTF8.GetBytes(value), Encoding.UTF8.GetBytes(key), DateTimeOffset.FromUnixTimeMilliseconds(ms));

    /// <summary>Every output record of every partition of <paramref name="topic"/>.</summary>
    public static async Task<List<StoredRecord>> OutputsAsync(LogStore log, string topic = "out")
    {
        var all = new List<StoredRecord>();
        if (log.GetTopic(topic) is not { } info)
        {
            return all;
        }
        foreach (var p in info.Partitions)
        {
            long from = 0;
            while (true)
            {
                var read = log.Read(topic, p.Partition, from, new ReadLimits(1000, 1 << 22));
                all.AddRange(read.Records);
                if (read.NextOffset <= from || read.Records.Count == 0)
                {
                    break;
                }
                from = read.NextOffset;
            }
        }
        return all;
    }

    public static string Id(StoredRecord r) => Encoding.UTF8.GetString(r.GetHeader(OutputHeaders.Id)!.Value.Span);

    public static string Text(StoredRecord r) => Encoding.UTF8.GetString(r.Value.Span);

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <see cref="Hang"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Hang;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("timed out waiting for " + what);
            }
            await Task.Delay(10);
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _running.WaitAsync(Hang);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _running.WaitAsync(Hang);
        }
        catch (Exception e) when (e is not TimeoutException)
        {
            // A killed process's rules end however they end; the test checks the log, not their exit.
        }
        await Log.DisposeAsync().AsTask().WaitAsync(Hang);
        _stop.Dispose();
    }
}

using System.Diagnostics.Metrics;
using System.Text;
using EdgeStream.Forwarding.Tests.Infrastructure;
using EdgeStream.Log;

namespace EdgeStream.Forwarding.Tests;

/// <summary>A failure inside one (sink, topic, partition) loop faults that loop only; the engine and other loops run on.</summary>
public sealed class LoopFaultTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_loop_whose_dead_letter_topic_name_is_too_long_faults_alone_and_reports_it_while_others_forward()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.RejectValuesContaining = "BAD";
        await using var log = await TestLog.OpenAsync(partitions: 1);
        // 197 characters: valid, but "<topic>.dlq" breaks the 200-character topic-name rule.
        var longTopic = new string('t', TopicName.MaxLength - 3);
        log.Store.EnsureTopic(longTopic);
        await log.Store.AppendAsync(longTopic, new LogRecord(Encoding.UTF8.GetBytes("BAD")), TestContext.Current.CancellationToken);
        await log.FillAsync("good", 1, 50);

        var faulted = new List<(int Value, string Topic)>();
        using var listener = Listen("edgestream.forwarding.loop.faulted", (v, tags) =>
        {
            lock (faulted)
            {
                faulted.Add((v, (string)tags["topic"]!));
            }
        });

        var sink = EngineRun.Sink("http1", "http", ("Url", receiver.Url), ("Gzip", "false"));
        await using var run = EngineRun.Start(log.Store, sink);
        await Poll.UntilAsync(
            () => run.Status("http1").Partitions.Any(p => p.Topic == longTopic && p.Faults >= 2),
            Timeout,
            "the long topic's loop faulted and retried");
        await log.FillAsync("good", 1, 50, startIndex: 50);
        await Poll.UntilAsync(() => run.Status("http1").Partitions.Single(p => p.Topic == "good").LagRecords == 0, Timeout, "good drained");

        run.ThrowIfFailed();
        var bad = run.Status("http1").Partitions.Single(p => p.Topic == longTopic);
        Assert.True(bad.Faulted);
        Assert.Contains("longer than 200", bad.Fault, StringComparison.Ordinal);
        Assert.NotNull(bad.FaultedAt);
        // Nothing acknowledged past the record that could not be dead-lettered.
        Assert.Equal(0, log.Store.GetCursor("http1", longTopic, 0) ?? 0);
        Assert.Equal(100, receiver.Ids.Count(i => i.StartsWith("node1/good/", StringComparison.Ordinal)));
        Assert.False(run.Status("http1").Partitions.Single(p => p.Topic == "good").Faulted);
        listener.RecordObservableInstruments();
        lock (faulted)
        {
            Assert.Contains((1, longTopic), faulted);
            Assert.Contains((0, "good"), faulted);
        }
    }

    [Fact]
    public async Task A_dead_letter_topic_the_log_may_not_create_faults_only_that_loop()
    {
        using var dir = new TempDir("noauto");
        var options = new LogOptions { DataDirectory = dir.Path, CommitPolicy = "group", AutoCreateTopics = false, MinFreeBytes = 0, MinFreePercent = 0 };
        options.Topics["cmds"] = new TopicSettings { Partitions = 2 };
        await using var store = await LogStore.OpenAsync(options, cancellationToken: TestContext.Current.CancellationToken);
        await store.AppendBatchAsync("cmds", 0, [new LogRecord(Encoding.UTF8.GetBytes("BAD"))], TestContext.Current.CancellationToken);
        await store.AppendBatchAsync("cmds", 1, [.. Enumerable.Range(0, 30).Select(i => new LogRecord(Encoding.UTF8.GetBytes($"ok {i}")))], TestContext.Current.CancellationToken);
        await store.FlushAsync(TestContext.Current.CancellationToken);
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.RejectValuesContaining = "BAD";

        await using var run = EngineRun.Start(store, EngineRun.Sink("http1", "http", ("Url", receiver.Url)));
        await Poll.UntilAsync(
            () => run.Status("http1").Partitions.Any(p => p.Partition == 0 && p.Faults >= 2)
                  && run.Status("http1").Partitions.Any(p => p.Partition == 1 && p.LagRecords == 0),
            Timeout,
            "partition 0 faulted and retrying, partition 1 drained");

        run.ThrowIfFailed();
        Assert.Contains("cmds.dlq", run.Status("http1").Partitions.Single(p => p.Partition == 0).Fault, StringComparison.Ordinal);
        Assert.Equal(30, receiver.Ids.Count);
    }

    [Fact]
    public async Task A_sink_bug_faults_its_loop_and_the_loop_recovers_when_the_bug_stops()
    {
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("bug", 1, 10);
        await log.FillAsync("fine", 1, 10);
        var factory = new BuggySinkFactory();
        var options = new ForwardingOptions { NodeId = "node1", TopicDiscoveryInterval = TimeSpan.FromMilliseconds(200) };
        var sink = EngineRun.Sink("buggy1", "buggy");
        sink.Retry.MaxDelay = TimeSpan.FromMilliseconds(300);
        options.Sinks.Add(sink);
        await using var engine = new ForwardingEngine(log.Store, options, [factory]);
        using var cts = new CancellationTokenSource();
        var running = engine.RunAsync(cts.Token);

        await Poll.UntilAsync(
            () => engine.GetStatus().Sinks[0].Partitions.Any(p => p.Topic == "bug" && p.Faults >= 3)
                  && engine.GetStatus().Sinks[0].Partitions.Any(p => p.Topic == "fine" && p.LagRecords == 0),
            Timeout,
            "bug loop faulted and retrying with capped backoff, fine loop drained");
        Assert.False(running.IsCompleted);
        Assert.Contains("NullReferenceException", engine.GetStatus().Sinks[0].Partitions.Single(p => p.Topic == "bug").Fault, StringComparison.Ordinal);

        factory.Fixed = true;
        await Poll.UntilAsync(
            () => engine.GetStatus().Sinks[0].Partitions.Single(p => p.Topic == "bug") is { Faulted: false, LagRecords: 0 },
            Timeout,
            "bug loop recovered and drained");
        await cts.CancelAsync();
        await running;
    }

    private static MeterListener Listen(string instrument, Action<int, Dictionary<string, object?>> onValue)
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == "EdgeStream.Forwarding" && i.Name == instrument)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, v, tags, _) => onValue(v, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
        listener.Start();
        return listener;
    }

    /// <summary>A sink with a bug: for topic "bug" it returns null instead of a result until <see cref="Fixed"/>.</summary>
    private sealed class BuggySinkFactory : ISinkFactory, ISink
    {
        public volatile bool Fixed;

        public string Type => "buggy";

        public void Validate(SinkOptions options, string path)
        {
        }

        public ISink Create(SinkContext context) => this;

        public Task<SendResult> SendAsync(SinkBatch batch, CancellationToken cancellationToken)
            => Task.FromResult(batch.Topic == "bug" && !Fixed ? null! : SendResult.Delivered);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

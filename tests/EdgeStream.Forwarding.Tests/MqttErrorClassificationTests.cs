using System.Globalization;
using System.Text;
using EdgeStream.Forwarding.Tests.Infrastructure;
using EdgeStream.Log;

namespace EdgeStream.Forwarding.Tests;

/// <summary>Real Mosquitto refusing the sink (credentials, ACL) versus refusing one record (size limit).</summary>
[Trait("Category", "Slow")]
public sealed class MqttErrorClassificationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static SinkOptions Sink(MosquittoBroker broker, string user, string password)
    {
        var sink = EngineRun.Sink("mqtt1", "mqtt",
            ("Host", "127.0.0.1"), ("Port", broker.Port.ToString(CultureInfo.InvariantCulture)), ("TopicTemplate", "edge/{topic}"),
            ("Username", user), ("Password", password), ("TimeoutMs", "3000"));
        sink.Topics.Add("t");
        return sink;
    }

    [Fact]
    public async Task A_refused_login_marks_the_sink_rejected_and_dead_letters_nothing()
    {
        await using var broker = await MosquittoBroker.StartAsync(user: ("edge", "right"));
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("t", 1, 10);

        await using var run = EngineRun.Start(log.Store, Sink(broker, "edge", "wrong"));
        await Poll.UntilAsync(() => run.Status("mqtt1").State == SinkState.Rejected, Timeout, "sink rejected");

        var status = run.Status("mqtt1");
        Assert.Contains("CONNACK", status.LastError, StringComparison.Ordinal);
        Assert.Equal(10, status.Partitions[0].LagRecords);
        Assert.Null(log.Store.GetTopic("t.dlq"));
    }

    [Fact]
    public async Task A_publish_the_acl_forbids_marks_the_sink_rejected_and_dead_letters_nothing()
    {
        using var aclDir = new TempDir("acl");
        var acl = aclDir.Combine("acl");
        await File.WriteAllTextAsync(acl, "user edge\ntopic readwrite other/#\n", TestContext.Current.CancellationToken);
        await using var broker = await MosquittoBroker.StartAsync(user: ("edge", "right"), extraConfig: [$"acl_file {acl}"]);
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("t", 1, 10);

        await using var run = EngineRun.Start(log.Store, Sink(broker, "edge", "right"));
        await Poll.UntilAsync(() => run.Status("mqtt1").State == SinkState.Rejected, Timeout, "sink rejected");

        Assert.Contains("NotAuthorized", run.Status("mqtt1").LastError, StringComparison.Ordinal);
        Assert.Equal(10, run.Status("mqtt1").Partitions[0].LagRecords);
        Assert.Null(log.Store.GetTopic("t.dlq"));
    }

    [Fact]
    public async Task A_record_over_the_brokers_size_limit_is_dead_lettered_and_the_rest_is_delivered()
    {
        await using var broker = await MosquittoBroker.StartAsync(user: ("edge", "right"), extraConfig: ["message_size_limit 1000"]);
        await using var log = await TestLog.OpenAsync(partitions: 1);
        log.Store.EnsureTopic("t");
        var records = Enumerable.Range(0, 20).Select(i => new LogRecord(Encoding.UTF8.GetBytes(i == 7 ? new string('x', 5000) : $"ok {i}"))).ToList();
        await log.Store.AppendBatchAsync("t", 0, records, TestContext.Current.CancellationToken);
        await log.Store.FlushAsync(TestContext.Current.CancellationToken);

        await using var run = EngineRun.Start(log.Store, Sink(broker, "edge", "right"));
        await run.DrainedAsync("mqtt1", 1, Timeout);

        var dlq = log.Store.Read("t.dlq", 0, 0, ReadLimits.Default);
        var dead = Assert.Single(dlq.Records);
        Assert.Equal(5000, dead.Value.Length);
        Assert.Contains("PUBACK", Encoding.UTF8.GetString(dead.GetHeader("edgestream.dlq.reason")!.Value.Span), StringComparison.Ordinal);
        Assert.Equal(19, run.Status("mqtt1").SentRecords);

        var dlqRecords = new List<(long Value, object? Topic)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == "EdgeStream.Forwarding" && i.Name == "edgestream.dlq.records")
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, v, tags, _) => dlqRecords.Add((v, tags.ToArray().Single(t => t.Key == "topic").Value)));
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Contains((1L, (object?)"t.dlq"), dlqRecords);
    }
}

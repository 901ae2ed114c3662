using System.Text;
using Confluent.Kafka;
using EdgeStream.Forwarding.Tests.Infrastructure;
using EdgeStream.Log;

namespace EdgeStream.Forwarding.Tests;

/// <summary>librdkafka's mock cluster: what the Kafka sink's state and dead-lettering make of its errors.</summary>
[Trait("Category", "Slow")]
public sealed class KafkaErrorClassificationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Every_broker_down_shows_the_sink_disconnected_even_while_it_has_nothing_to_send()
    {
        using var kafka = new KafkaMockCluster();
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("idle", 1, 50);
        var sink = EngineRun.Sink("kafka1", "kafka", ("BootstrapServers", kafka.BootstrapServers));
        await using var run = EngineRun.Start(log.Store, sink);
        await run.DrainedAsync("kafka1", 1, Timeout);
        Assert.Equal(SinkState.Connected, run.Status("kafka1").State);

        foreach (var b in kafka.BrokerIds)
        {
            kafka.SetBrokerDown(b);
        }
        await Poll.UntilAsync(() => run.Status("kafka1").State == SinkState.Disconnected, Timeout, "state follows librdkafka's all-brokers-down");

        foreach (var b in kafka.BrokerIds)
        {
            kafka.SetBrokerUp(b);
        }
        await log.FillAsync("idle", 1, 10, startIndex: 50);
        await run.DrainedAsync("kafka1", 1, Timeout);
        Assert.Equal(SinkState.Connected, run.Status("kafka1").State);
    }

    [Fact]
    public async Task A_record_larger_than_kafka_takes_is_dead_lettered_and_its_neighbours_are_delivered()
    {
        using var kafka = new KafkaMockCluster();
        await using var log = await TestLog.OpenAsync(partitions: 1);
        log.Store.EnsureTopic("big");
        var records = Enumerable.Range(0, 20).Select(i => new LogRecord(Encoding.UTF8.GetBytes(i == 5 ? new string('x', 50_000) : $"ok {i}"))).ToList();
        await log.Store.AppendBatchAsync("big", 0, records, TestContext.Current.CancellationToken);
        await log.Store.FlushAsync(TestContext.Current.CancellationToken);
        var sink = EngineRun.Sink("kafka1", "kafka", ("BootstrapServers", kafka.BootstrapServers));
        sink.Client["message.max.bytes"] = "10000";

        await using (var run = EngineRun.Start(log.Store, sink))
        {
            await run.DrainedAsync("kafka1", 1, Timeout);
            Assert.Equal(19, run.Status("kafka1").SentRecords);
        }

        var dlq = log.Store.Read("big.dlq", 0, 0, ReadLimits.Default);
        var dead = Assert.Single(dlq.Records);
        Assert.Equal(50_000, dead.Value.Length);
        Assert.Contains("MsgSizeTooLarge", Encoding.UTF8.GetString(dead.GetHeader("edgestream.dlq.reason")!.Value.Span), StringComparison.Ordinal);
        var got = kafka.ConsumeAll("big", all => all.Count >= 19, Timeout);
        Assert.Equal(19, got.Count);
    }

    [Fact]
    public async Task Topic_authorization_failure_marks_the_sink_rejected_and_dead_letters_nothing()
    {
        using var kafka = new KafkaMockCluster();
        kafka.SetTopicError("secret", ErrorCode.TopicAuthorizationFailed);
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("secret", 1, 10);
        var sink = EngineRun.Sink("kafka1", "kafka", ("BootstrapServers", kafka.BootstrapServers));
        // Long enough for the metadata answer (and its error) to arrive on a loaded machine before messages time out.
        sink.Client["message.timeout.ms"] = "15000";

        await using var run = EngineRun.Start(log.Store, sink);
        try
        {
            await Poll.UntilAsync(() => run.Status("kafka1").State == SinkState.Rejected, TimeSpan.FromSeconds(120), "sink rejected");
        }
        catch (TimeoutException e)
        {
            // This wait timed out twice in suite runs under the heaviest load and never alone: say what the sink was doing.
            throw new TimeoutException($"{e.Message}; the sink was at {run.Status("kafka1")} with partition {run.Status("kafka1").Partitions[0]}", e);
        }

        Assert.Contains("TopicAuthorizationFailed", run.Status("kafka1").LastError, StringComparison.Ordinal);
        Assert.Equal(10, run.Status("kafka1").Partitions[0].LagRecords);
        Assert.Null(log.Store.GetTopic("secret.dlq"));
    }
}

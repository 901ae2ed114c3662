using System.Text;
using Confluent.Kafka;
using EdgeStream.Forwarding.Tests.Infrastructure;
using EdgeStream.Log;

namespace EdgeStream.Forwarding.Tests;

[Trait("Category", "Slow")]
public sealed class KafkaSinkTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static string Id(ConsumeResult<byte[]?, byte[]> r)
        => Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes("edgestream-id"));

    [Fact]
    public async Task Engine_drains_every_partition_into_kafka_in_order_with_ids_headers_and_keys()
    {
        using var kafka = new KafkaMockCluster();
        await using var log = await TestLog.OpenAsync();
        await log.FillAsync("sensors", 4, 1500, headers: (p, i) => [new RecordHeader("unit", Encoding.UTF8.GetBytes("C"))]);
        await log.Store.AppendAsync("sensors", new LogRecord(Encoding.UTF8.GetBytes("keyed"), Encoding.UTF8.GetBytes("dev-7")), TestContext.Current.CancellationToken);
        await log.Store.FlushAsync(TestContext.Current.CancellationToken);

        var sink = EngineRun.Sink("kafka1", "kafka", ("BootstrapServers", kafka.BootstrapServers), ("TopicTemplate", "edge.{topic}"));
        await using (var run = EngineRun.Start(log.Store, sink))
        {
            await run.DrainedAsync("kafka1", 4, Timeout);
            Assert.Equal(SinkState.Connected, run.Status("kafka1").State);
            Assert.Equal(6001, run.Status("kafka1").SentRecords);
        }

        var got = kafka.ConsumeAll("edge.sensors", all => all.Count >= 6001, Timeout);
        var ids = got.Select(Id).ToList();
        var keyed = got.Single(r => Encoding.UTF8.GetString(r.Message.Value) == "keyed");
        Assert.Equal("dev-7", Encoding.UTF8.GetString(keyed.Message.Key!));
        var keyedId = Id(keyed).Split('/');
        // The keyed record is checked separately: its partition holds 1501 records.
        Delivered.AssertCompleteInOrder(ids.Where(i => i != Id(keyed)), "node1", "sensors", 4, 1500);
        Assert.Equal("1500", keyedId[3]);
        Assert.All(got.Where(r => r != keyed), r => Assert.Equal("C", Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes("unit"))));
        // Keyless records are keyed by their edge partition, so each edge partition stays in one Kafka partition.
        var unkeyed = got.Where(r => r != keyed).GroupBy(r => Encoding.UTF8.GetString(r.Message.Key!)).ToList();
        Assert.Equal(4, unkeyed.Count);
        Assert.All(unkeyed, g => Assert.Single(g.Select(r => r.Partition.Value).Distinct()));
    }

    [Fact]
    public async Task Brokers_down_then_up_mid_drain_loses_nothing()
    {
        using var kafka = new KafkaMockCluster();
        await using var log = await TestLog.OpenAsync();
        await log.FillAsync("metrics", 4, 3000, valueBytes: 100);

        var sink = EngineRun.Sink("kafka1", "kafka", ("BootstrapServers", kafka.BootstrapServers));
        // Short delivery timeout so that an outage surfaces as send failures (and backoff) rather than a long wait.
        sink.Client["message.timeout.ms"] = "1500";
        sink.BandwidthBytesPerSecond = 400_000;
        await using (var run = EngineRun.Start(log.Store, sink))
        {
            await Poll.UntilAsync(() => run.Status("kafka1").SentRecords > 1000, Timeout, "some records sent");
            foreach (var b in kafka.BrokerIds)
            {
                kafka.SetBrokerDown(b);
            }
            await Poll.UntilAsync(() => run.Status("kafka1").LastError is not null, Timeout, "the outage is reported");
            Assert.NotEqual(SinkState.Connected, run.Status("kafka1").State);
            foreach (var b in kafka.BrokerIds)
            {
                kafka.SetBrokerUp(b);
            }
            await run.DrainedAsync("kafka1", 4, Timeout);
        }

        var got = kafka.ConsumeAll("metrics", all => all.Select(Id).Distinct().Count() >= 12000, Timeout);
        Delivered.AssertCompleteInOrder(got.Select(Id), "node1", "metrics", 4, 3000);
    }

    [Fact]
    public async Task Engine_stopped_mid_drain_resumes_at_the_committed_cursor_after_restart()
    {
        using var kafka = new KafkaMockCluster();
        await using var log = await TestLog.OpenAsync();
        await log.FillAsync("events", 4, 2500, valueBytes: 100);

        var sink = EngineRun.Sink("kafka1", "kafka", ("BootstrapServers", kafka.BootstrapServers));
        sink.BandwidthBytesPerSecond = 300_000;
        sink.Batch.MaxRecords = 200;
        long committedAtStop;
        await using (var run = EngineRun.Start(log.Store, sink))
        {
            await Poll.UntilAsync(() => run.Status("kafka1").SentRecords > 2000, Timeout, "a part was sent");
            await run.StopAsync();
        }
        committedAtStop = Enumerable.Range(0, 4).Sum(p => log.Store.GetCursor("kafka1", "events", p) ?? 0);
        Assert.InRange(committedAtStop, 2000, 9999);

        // A process restart: the log is reopened from disk, a new engine starts with the same sink name.
        await log.ReopenAsync();
        sink.BandwidthBytesPerSecond = null;
        await using (var run = EngineRun.Start(log.Store, sink))
        {
            await run.DrainedAsync("kafka1", 4, Timeout);
            // Resumed, not restarted: the new engine sent only what was not committed before.
            Assert.Equal(10_000 - committedAtStop, run.Status("kafka1").SentRecords);
        }

        var got = kafka.ConsumeAll("events", all => all.Select(Id).Distinct().Count() >= 10_000, Timeout);
        Delivered.AssertCompleteInOrder(got.Select(Id), "node1", "events", 4, 2500);
        // At most the one in-flight batch per partition was delivered twice.
        Assert.InRange(got.Count, 10_000, 10_000 + (4 * 200));
    }
}

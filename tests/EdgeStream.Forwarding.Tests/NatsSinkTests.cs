using EdgeStream.Forwarding.Tests.Infrastructure;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace EdgeStream.Forwarding.Tests;

[Trait("Category", "Slow")]
public sealed class NatsSinkTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>Reads the whole stream in order and returns each message's Nats-Msg-Id.</summary>
    private static async Task<List<string>> ReadStreamAsync(string url, string stream, long expected)
    {
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = url });
        var js = new NatsJSContext(nats);
        var info = await js.GetStreamAsync(stream);
        Assert.Equal(expected, (long)info.Info.State.Messages);
        var consumer = await js.CreateOrderedConsumerAsync(stream);
        var ids = new List<string>();
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (var msg in consumer.ConsumeAsync<byte[]>(cancellationToken: cts.Token))
        {
            ids.Add(msg.Headers!["Nats-Msg-Id"].ToString());
            if (ids.Count == expected)
            {
                break;
            }
        }
        return ids;
    }

    [Fact]
    public async Task Engine_drains_into_a_jetstream_stream_it_creates_with_msg_ids_in_order()
    {
        await using var nats = await NatsServers.StartSingleAsync();
        await using var log = await TestLog.OpenAsync();
        await log.FillAsync("telemetry", 4, 1000, valueBytes: 64);

        var sink = EngineRun.Sink("nats1", "nats", ("Url", nats.Url), ("SubjectTemplate", "edge.{topic}.{partition}"), ("Stream", "EDGE"), ("CreateStream", "true"));
        await using (var run = EngineRun.Start(log.Store, sink))
        {
            await run.DrainedAsync("nats1", 4, Timeout);
        }

        var ids = await ReadStreamAsync(nats.Url, "EDGE", 4000);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Delivered.AssertCompleteInOrder(ids, "node1", "telemetry", 4, 1000);
    }

    [Fact]
    public async Task Three_node_cluster_with_one_node_killed_mid_drain_stores_everything_once()
    {
        await using var nats = await NatsServers.StartClusterAsync();
        await using var log = await TestLog.OpenAsync(partitions: 2);
        await log.FillAsync("alarms", 2, 3000, valueBytes: 64);

        var sink = EngineRun.Sink("nats1", "nats", ("Url", nats.Url), ("Stream", "ALARMS"), ("SubjectTemplate", "alarms.{partition}"), ("CreateStream", "true"), ("Replicas", "3"), ("AckTimeoutMs", "2000"));
        await using (var run = EngineRun.Start(log.Store, sink))
        {
            await Poll.UntilAsync(() => run.Status("nats1").SentRecords > 1500, Timeout, "part of the backlog sent");
            await nats.KillAsync(0);
            await run.DrainedAsync("nats1", 2, Timeout);
        }

        var survivors = $"nats://127.0.0.1:{nats.Ports[1]},nats://127.0.0.1:{nats.Ports[2]}";
        var ids = await ReadStreamAsync(survivors, "ALARMS", 6000);
        Assert.Equal(6000, ids.Distinct().Count());
        Delivered.AssertCompleteInOrder(ids, "node1", "alarms", 2, 3000);
    }
}

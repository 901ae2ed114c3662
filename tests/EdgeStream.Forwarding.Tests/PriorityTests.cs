using EdgeStream.Forwarding.Tests.Infrastructure;

namespace EdgeStream.Forwarding.Tests;

public sealed class PriorityTests
{
    [Fact]
    public async Task Through_a_bandwidth_cap_the_high_priority_topic_drains_first_and_each_keeps_its_order()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("bulk", 1, 1000, valueBytes: 100);
        await log.FillAsync("alarms", 1, 500, valueBytes: 100);

        var sink = EngineRun.Sink("capped", "http", ("Url", receiver.Url));
        sink.BandwidthBytesPerSecond = 50_000;
        sink.Batch.MaxRecords = 50;
        await using var run = EngineRun.Start(log.Store, o => o.TopicPriorities["alarms"] = 10, sink);
        await Poll.UntilAsync(
            () => run.Status("capped").Partitions.Any(p => p.Topic == "alarms" && p.LagRecords == 0),
            TimeSpan.FromSeconds(60),
            "alarms drained");
        var bulkLag = run.Status("capped").Partitions.Single(p => p.Topic == "bulk").LagRecords;
        // Strict alternation would leave bulk at 500; priority leaves it well behind.
        Assert.True(bulkLag >= 500, $"bulk lag {bulkLag} when alarms had drained");

        await run.DrainedAsync("capped", 2, TimeSpan.FromSeconds(60));
        Delivered.AssertCompleteInOrder(receiver.Ids.Where(i => i.Contains("/alarms/", StringComparison.Ordinal)), "node1", "alarms", 1, 500);
        Delivered.AssertCompleteInOrder(receiver.Ids.Where(i => i.Contains("/bulk/", StringComparison.Ordinal)), "node1", "bulk", 1, 1000);
    }
}

using EdgeStream.Forwarding.Tests.Infrastructure;

namespace EdgeStream.Forwarding.Tests;

public sealed class BatchLingerTests
{
    [Fact]
    public async Task Records_arriving_at_a_caught_up_partition_within_the_linger_go_upstream_in_one_batch()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var live = await LiveTopic.StartAsync();
        var sink = live.Sink();
        sink.Batch.Linger = TimeSpan.FromSeconds(2);
        await using var run = EngineRun.Start(live.Log.Store, sink);
        // Caught up on an empty partition first, as a live stream is between its batches.
        await Poll.UntilAsync(() => run.Status("http1").Partitions.Count == 1, TimeSpan.FromSeconds(30), "partition loop started");

        for (byte i = 0; i < 5; i++)
        {
            await live.AppendAsync(i, ct);
        }
        await run.DrainedAsync("http1", 1, TimeSpan.FromSeconds(30));

        Assert.Equal(5, live.Receiver.Count);
        Assert.Equal(1, live.Receiver.Requests);
    }

    [Fact]
    public async Task Without_a_linger_each_record_of_a_live_stream_goes_upstream_at_once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var live = await LiveTopic.StartAsync();
        var sink = live.Sink();
        sink.Batch.Linger = TimeSpan.Zero;
        await using var run = EngineRun.Start(live.Log.Store, sink);

        for (byte i = 1; i <= 3; i++)
        {
            await live.AppendAsync(i, ct);
            await run.DrainedAsync("http1", 1, TimeSpan.FromSeconds(30));
            Assert.Equal(i, live.Receiver.Requests);
        }
    }
}

using EdgeStream.Forwarding.Tests.Infrastructure;
using EdgeStream.Log;

namespace EdgeStream.Forwarding.Tests;

public sealed class BatchLingerTests
{
    [Fact]
    public async Task Records_arriving_at_a_caught_up_partition_within_the_linger_go_upstream_in_one_batch()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = await HttpReceiver.StartAsync();
        await using var log = await TestLog.OpenAsync(partitions: 1);
        log.Store.EnsureTopic("live");
        var sink = EngineRun.Sink("http1", "http", ("Url", receiver.Url));
        sink.Topics.Add("live");
        sink.Batch.Linger = TimeSpan.FromSeconds(2);
        await using var run = EngineRun.Start(log.Store, sink);
        // Caught up on an empty partition first, as a live stream is between its batches.
        await Poll.UntilAsync(() => run.Status("http1").Partitions.Count == 1, TimeSpan.FromSeconds(30), "partition loop started");

        for (var i = 0; i < 5; i++)
        {
            await log.Store.AppendAsync("live", new LogRecord(new[] { (byte)i }), ct);
            await log.Store.FlushAsync(ct);
        }
        await run.DrainedAsync("http1", 1, TimeSpan.FromSeconds(30));

        Assert.Equal(5, receiver.Count);
        Assert.Equal(1, receiver.Requests);
    }

    [Fact]
    public async Task Without_a_linger_each_record_of_a_live_stream_goes_upstream_at_once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = await HttpReceiver.StartAsync();
        await using var log = await TestLog.OpenAsync(partitions: 1);
        log.Store.EnsureTopic("live");
        var sink = EngineRun.Sink("http1", "http", ("Url", receiver.Url));
        sink.Topics.Add("live");
        sink.Batch.Linger = TimeSpan.Zero;
        await using var run = EngineRun.Start(log.Store, sink);

        for (var i = 1; i <= 3; i++)
        {
            await log.Store.AppendAsync("live", new LogRecord(new[] { (byte)i }), ct);
            await log.Store.FlushAsync(ct);
            await run.DrainedAsync("http1", 1, TimeSpan.FromSeconds(30));
            Assert.Equal(i, receiver.Requests);
        }
    }
}

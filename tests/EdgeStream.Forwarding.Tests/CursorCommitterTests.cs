using EdgeStream.Forwarding.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EdgeStream.Forwarding.Tests;

public sealed class CursorCommitterTests
{
    [Fact]
    public async Task Requests_are_coalesced_and_flush_leaves_the_newest_offset_durable_in_the_log()
    {
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("c", 1, 10);
        var committer = new CursorCommitter(log.Store, "sink", "c", 0, 0, TimeSpan.FromMilliseconds(20), TimeProvider.System);
        for (var i = 1; i <= 10; i++)
        {
            committer.Request(i);
        }
        committer.Request(5);   // never moves backwards
        await committer.FlushAsync();

        Assert.Equal(10, committer.Committed);
        Assert.Equal(10, log.Store.GetCursor("sink", "c", 0));
        await log.ReopenAsync(partitions: 1);
        Assert.Equal(10, log.Store.GetCursor("sink", "c", 0));
    }

    [Fact]
    public async Task A_failed_commit_surfaces_on_the_next_request()
    {
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("c", 1, 1);
        // An invalid cursor name makes the log refuse the commit.
        var committer = new CursorCommitter(log.Store, "bad/name", "c", 0, 0, TimeSpan.FromMilliseconds(20), TimeProvider.System);
        committer.Request(1);
        await Assert.ThrowsAsync<ArgumentException>(committer.FlushAsync);
        Assert.Throws<ArgumentException>(() => committer.Request(2));
    }

    [Fact]
    public async Task By_default_a_cursor_is_committed_at_most_once_a_second()
    {
        // Each commit replaces a file and fsyncs it; a live stream asks for one after nearly every batch.
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("c", 1, 2);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var committer = new CursorCommitter(log.Store, "sink", "c", 0, 0, new ForwardingOptions().CursorCommitInterval, time);
        committer.Request(1);
        await Poll.UntilAsync(() => committer.Committed == 1, TimeSpan.FromSeconds(30), "first commit");
        // The commit's pause starts right after it; give that a moment of real time before moving the clock.
        await Task.Delay(100, TestContext.Current.CancellationToken);
        committer.Request(2);

        time.Advance(TimeSpan.FromMilliseconds(900));
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.Equal(1, committer.Committed);

        time.Advance(TimeSpan.FromMilliseconds(100));
        await Poll.UntilAsync(() => committer.Committed == 2, TimeSpan.FromSeconds(30), "second commit, a second after the first");
        Assert.Equal(2, log.Store.GetCursor("sink", "c", 0));
    }

    [Fact]
    public async Task A_live_stream_commits_its_cursor_at_most_once_per_interval_and_at_once_when_the_engine_stops()
    {
        // A live stream catches up after nearly every batch; it used to commit (write + fsync) the cursor each time.
        var ct = TestContext.Current.CancellationToken;
        await using var live = await LiveTopic.StartAsync();
        var store = live.Log.Store;
        await using (var run = EngineRun.Start(store, o => o.CursorCommitInterval = TimeSpan.FromSeconds(10), live.Sink()))
        {
            await AppendAndWaitForDeliveryAsync(1);
            // The first commit starts at once; the interval counts from it.
            await Poll.UntilAsync(() => store.GetCursor("http1", LiveTopic.Topic, 0) == 1, TimeSpan.FromSeconds(30), "first commit");
            for (byte i = 2; i <= 4; i++)
            {
                await AppendAndWaitForDeliveryAsync(i);
            }
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            Assert.Equal(1, store.GetCursor("http1", LiveTopic.Topic, 0));
        }
        Assert.Equal(4, store.GetCursor("http1", LiveTopic.Topic, 0));

        async Task AppendAndWaitForDeliveryAsync(byte count)
        {
            await live.AppendAsync(count, ct);
            await Poll.UntilAsync(() => live.Receiver.Count == count, TimeSpan.FromSeconds(30), $"record {count} delivered");
        }
    }

    [Fact]
    public async Task A_caught_up_sink_reports_no_lag_while_its_cursor_commit_waits_for_the_interval()
    {
        // Lag is what upstream has not confirmed: the metric, the status page and $SYS must not show a second of stream
        // as backlog on a sink that has delivered everything.
        var ct = TestContext.Current.CancellationToken;
        await using var live = await LiveTopic.StartAsync();
        var store = live.Log.Store;
        await using var run = EngineRun.Start(store, o => o.CursorCommitInterval = TimeSpan.FromSeconds(10), live.Sink());
        await live.AppendAsync(1, ct);
        await Poll.UntilAsync(() => store.GetCursor("http1", LiveTopic.Topic, 0) == 1, TimeSpan.FromSeconds(30), "first commit");
        await live.AppendAsync(2, ct);
        await Poll.UntilAsync(() => run.Status("http1").Partitions[0].AcknowledgedOffset == 2, TimeSpan.FromSeconds(30), "record 2 acknowledged");

        var partition = run.Status("http1").Partitions[0];
        Assert.Equal((1, 2, 2, 0), (partition.CommittedOffset, partition.AcknowledgedOffset, partition.EndOffset, partition.LagRecords));
    }

    [Fact]
    public async Task A_status_that_shows_records_acknowledged_also_counts_them_as_sent()
    {
        // A caller that sees a partition drained (lag 0) must see its records counted: the status reads the
        // partitions first, so the count has to be made before the acknowledged offset moves.
        const int count = 5_000;
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("t", 1, count);
        var options = new ForwardingOptions { NodeId = "node1", TopicDiscoveryInterval = TimeSpan.FromMilliseconds(200) };
        var sink = EngineRun.Sink("instant1", "instant");
        sink.Batch.MaxRecords = 1;
        sink.Batch.Linger = TimeSpan.Zero;
        options.Sinks.Add(sink);
        await using var engine = new ForwardingEngine(log.Store, options, [new InstantSinkFactory()]);
        using var cts = new CancellationTokenSource();
        var running = engine.RunAsync(cts.Token);

        var behind = new List<string>();
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            var status = engine.GetStatus().Sinks[0];
            if (status.Partitions is [var partition])
            {
                if (status.SentRecords < partition.AcknowledgedOffset)
                {
                    behind.Add($"{status.SentRecords} sent at acknowledged offset {partition.AcknowledgedOffset}");
                }
                if (partition.AcknowledgedOffset == count)
                {
                    break;
                }
            }
        }
        await cts.CancelAsync();
        await running;

        Assert.Equal(count, engine.GetStatus().Sinks[0].Partitions[0].AcknowledgedOffset);
        Assert.Empty(behind);
    }

    /// <summary>A sink upstream of which everything is delivered at once.</summary>
    private sealed class InstantSinkFactory : ISinkFactory, ISink
    {
        public string Type => "instant";

        public void Validate(SinkOptions options, string path)
        {
        }

        public ISink Create(SinkContext context) => this;

        public Task<SendResult> SendAsync(SinkBatch batch, CancellationToken cancellationToken) => Task.FromResult(SendResult.Delivered);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

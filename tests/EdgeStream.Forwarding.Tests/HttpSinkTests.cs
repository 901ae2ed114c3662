using System.Text;
using EdgeStream.Forwarding.Tests.Infrastructure;
using EdgeStream.Log;

namespace EdgeStream.Forwarding.Tests;

public sealed class HttpSinkTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Engine_posts_batches_with_idempotency_keys_and_retries_5xx()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.FailFirst = 3;
        await using var log = await TestLog.OpenAsync();
        await log.FillAsync("readings", 4, 1000);

        var sink = EngineRun.Sink("http1", "http", ("Url", receiver.Url), ("BearerToken", "t0k"));
        sink.Batch.MaxRecords = 250;
        await using (var run = EngineRun.Start(log.Store, sink))
        {
            await run.DrainedAsync("http1", 4, Timeout);
            Assert.Contains("503", run.Status("http1").LastError, StringComparison.Ordinal);
        }

        Delivered.AssertCompleteInOrder(receiver.Ids, "node1", "readings", 4, 1000);
        Assert.Equal(16, receiver.IdempotencyKeys.Count);
        Assert.Contains("node1/readings/2/250-499", receiver.IdempotencyKeys);
    }

    [Fact]
    public async Task A_refused_record_goes_to_the_dead_letter_topic_and_the_partition_moves_on()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.RejectValuesContaining = "BAD";
        await using var log = await TestLog.OpenAsync(partitions: 1);
        log.Store.EnsureTopic("cmds");
        var records = Enumerable.Range(0, 100).Select(i => new LogRecord(Encoding.UTF8.GetBytes(i == 42 ? "BAD" : $"ok {i}"))).ToList();
        await log.Store.AppendBatchAsync("cmds", 0, records, TestContext.Current.CancellationToken);
        await log.Store.FlushAsync(TestContext.Current.CancellationToken);

        var sink = EngineRun.Sink("http1", "http", ("Url", receiver.Url), ("Gzip", "false"));
        sink.Topics.Add("cmds");
        await using (var run = EngineRun.Start(log.Store, sink))
        {
            await run.DrainedAsync("http1", 1, Timeout);
        }

        var expected = Enumerable.Range(0, 100).Where(i => i != 42).Select(i => $"node1/cmds/0/{i}").ToList();
        Assert.Equal(expected, receiver.Ids);
        var dlq = log.Store.Read("cmds.dlq", 0, 0, ReadLimits.Default);
        var dead = Assert.Single(dlq.Records);
        Assert.Equal("BAD", Encoding.UTF8.GetString(dead.Value.Span));
        Assert.StartsWith("400", Encoding.UTF8.GetString(dead.GetHeader("edgestream.dlq.reason")!.Value.Span), StringComparison.Ordinal);
        Assert.Equal("node1/cmds/0/42", Encoding.UTF8.GetString(dead.GetHeader("edgestream.dlq.source")!.Value.Span));
        Assert.Equal(100, log.Store.GetCursor("http1", "cmds", 0));
    }

    [Fact]
    public async Task A_batch_limit_reached_inside_a_stored_batch_skips_no_records_of_it()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var log = await TestLog.OpenAsync(partitions: 1);
        log.Store.EnsureTopic("mixed");
        // One stored batch of ten 200 KB records, then one of ten small ones: the sink's 512 KiB batch ends inside the
        // first, where the small records of the second would still fit.
        var big = Enumerable.Range(0, 10).Select(_ => new LogRecord(new byte[200_000])).ToList();
        var small = Enumerable.Range(0, 10).Select(i => new LogRecord(Encoding.UTF8.GetBytes($"small {i}"))).ToList();
        await log.Store.AppendBatchAsync("mixed", 0, big, TestContext.Current.CancellationToken);
        await log.Store.AppendBatchAsync("mixed", 0, small, TestContext.Current.CancellationToken);
        await log.Store.FlushAsync(TestContext.Current.CancellationToken);

        var sink = EngineRun.Sink("http1", "http", ("Url", receiver.Url));
        sink.Topics.Add("mixed");
        await using (var run = EngineRun.Start(log.Store, sink))
        {
            await run.DrainedAsync("http1", 1, Timeout);
        }

        Delivered.AssertCompleteInOrder(receiver.Ids, "node1", "mixed", 1, 20);
        Assert.Equal(20, log.Store.GetCursor("http1", "mixed", 0));
    }

    [Fact]
    public async Task Start_latest_forwards_only_records_appended_after_the_sink_started()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("late", 1, 50);

        var sink = EngineRun.Sink("http1", "http", ("Url", receiver.Url));
        sink.Start = "latest";
        await using var run = EngineRun.Start(log.Store, sink);
        await Poll.UntilAsync(() => log.Store.GetCursor("http1", "late", 0) == 50, Timeout, "start committed at latest");
        await log.FillAsync("late", 1, 10, startIndex: 50);
        await run.DrainedAsync("http1", 1, Timeout);

        Assert.Equal(Enumerable.Range(50, 10).Select(i => $"node1/late/0/{i}"), receiver.Ids);
    }

    [Fact]
    public async Task Start_at_a_timestamp_forwards_from_the_first_record_at_or_after_it()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var log = await TestLog.OpenAsync(partitions: 1);
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        log.Store.EnsureTopic("ts");
        var records = Enumerable.Range(0, 10).Select(i => new LogRecord(Encoding.UTF8.GetBytes($"r{i}"), timestamp: t0.AddMinutes(i))).ToList();
        await log.Store.AppendBatchAsync("ts", 0, records, TestContext.Current.CancellationToken);
        await log.Store.FlushAsync(TestContext.Current.CancellationToken);

        var sink = EngineRun.Sink("http1", "http", ("Url", receiver.Url));
        sink.Start = t0.AddMinutes(6).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        await using var run = EngineRun.Start(log.Store, sink);
        await run.DrainedAsync("http1", 1, Timeout);

        Assert.Equal(Enumerable.Range(6, 4).Select(i => $"node1/ts/0/{i}"), receiver.Ids);
    }

    [Fact]
    public async Task Paused_sink_holds_records_back_until_resumed_and_reports_it()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var log = await TestLog.OpenAsync(partitions: 1);
        var sink = EngineRun.Sink("http1", "http", ("Url", receiver.Url));
        sink.Paused = true;
        await using var run = EngineRun.Start(log.Store, sink);
        await log.FillAsync("p", 1, 20);
        await Poll.UntilAsync(() => run.Status("http1").Partitions.Count == 1, Timeout, "partition discovered");

        Assert.Equal(SinkState.Paused, run.Status("http1").State);
        Assert.Equal(20, run.Status("http1").Partitions[0].LagRecords);
        Assert.Equal(0, receiver.Requests);

        run.Engine.Resume("http1");
        await run.DrainedAsync("http1", 1, Timeout);
        Assert.Equal(20, receiver.Count);
        Assert.Equal(SinkState.Connected, run.Status("http1").State);
        Assert.Throws<ArgumentException>(() => run.Engine.Pause("nope"));
    }

    [Fact]
    public async Task A_dead_sink_does_not_hold_up_a_live_one_and_reports_its_error()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var log = await TestLog.OpenAsync(partitions: 2);
        await log.FillAsync("shared", 2, 500);

        var live = EngineRun.Sink("live", "http", ("Url", receiver.Url));
        var dead = EngineRun.Sink("dead", "http", ("Url", $"http://127.0.0.1:{Ports.Free()}/nowhere"), ("TimeoutMs", "1000"));
        await using var run = EngineRun.Start(log.Store, live, dead);
        await run.DrainedAsync("live", 2, Timeout);
        await Poll.UntilAsync(() => run.Status("dead").LastError is not null, Timeout, "dead sink reports its error");

        Assert.Equal(1000, receiver.Count);
        var status = run.Status("dead");
        Assert.Contains(status.State, new[] { SinkState.Backoff, SinkState.Open });
        Assert.Equal(0, status.SentRecords);
        Assert.All(status.Partitions, p => Assert.Equal(500, p.LagRecords));
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(405)]
    [InlineData(407)]
    [InlineData(410)]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task A_misconfigured_endpoint_marks_the_sink_rejected_dead_letters_nothing_and_delivers_once_fixed(int status)
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.AnswerStatus = status;
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("conf", 1, 20);

        var sink = EngineRun.Sink("http1", "http", ("Url", receiver.Url));
        await using var run = EngineRun.Start(log.Store, sink);
        await Poll.UntilAsync(() => run.Status("http1").State == SinkState.Rejected && receiver.Refused >= 2, Timeout, "sink rejected and retrying");

        Assert.Null(log.Store.GetTopic("conf.dlq"));
        Assert.Equal(0, receiver.Count);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), run.Status("http1").LastError, StringComparison.Ordinal);
        Assert.Equal(20, run.Status("http1").Partitions[0].LagRecords);

        receiver.AnswerStatus = null;
        await run.DrainedAsync("http1", 1, Timeout);
        Assert.Equal(20, receiver.Count);
        Assert.Equal(SinkState.Connected, run.Status("http1").State);
        Assert.Null(log.Store.GetTopic("conf.dlq"));
    }

    [Fact]
    public async Task A_2xx_with_a_never_ending_body_counts_as_delivered_without_reading_the_body()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.EndlessBodyStatus = 200;
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("chatty", 1, 30);

        var sink = EngineRun.Sink("http1", "http", ("Url", receiver.Url), ("TimeoutMs", "3000"));
        sink.Batch.MaxRecords = 10;
        await using var run = EngineRun.Start(log.Store, sink);
        await run.DrainedAsync("http1", 1, TimeSpan.FromSeconds(20));

        Delivered.AssertCompleteInOrder(receiver.Ids, "node1", "chatty", 1, 30);
        Assert.Equal(3, receiver.Requests);
        Assert.Null(run.Status("http1").LastError);
    }

    [Fact]
    public async Task An_error_with_a_never_ending_body_is_reported_with_the_start_of_its_body_and_retried()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.AnswerStatus = 503;
        receiver.EndlessBodyStatus = 503;
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("chatty", 1, 5);

        var sink = EngineRun.Sink("http1", "http", ("Url", receiver.Url), ("TimeoutMs", "30000"));
        sink.Retry.InitialDelay = TimeSpan.FromMilliseconds(50);
        sink.Retry.MaxDelay = TimeSpan.FromMilliseconds(200);
        await using var run = EngineRun.Start(log.Store, sink);
        // Each answer is judged from its status and the first bytes of its body, not after the 30 s request timeout.
        await Poll.UntilAsync(() => receiver.Refused >= 3, TimeSpan.FromSeconds(20), "three 503s seen and retried");

        var error = run.Status("http1").LastError!;
        Assert.Contains("503", error, StringComparison.Ordinal);
        Assert.Contains("xxxx", error, StringComparison.Ordinal);
        Assert.True(error.Length < 1000, $"error of {error.Length} chars");
        Assert.Null(log.Store.GetTopic("chatty.dlq"));
        receiver.AnswerStatus = null;
        receiver.EndlessBodyStatus = null;
        await run.DrainedAsync("http1", 1, Timeout);
        Delivered.AssertCompleteInOrder(receiver.Ids, "node1", "chatty", 1, 5);
    }

    [Theory]
    [InlineData(400, "BadRecord")]
    [InlineData(413, "BadRecord")]
    [InlineData(422, "BadRecord")]
    [InlineData(408, "Transient")]
    [InlineData(429, "Transient")]
    [InlineData(500, "Transient")]
    [InlineData(503, "Transient")]
    [InlineData(401, "Misconfigured")]
    [InlineData(409, "Misconfigured")]
    [InlineData(308, "Misconfigured")]
    public void Http_statuses_are_classified_before_acting_on_them(int status, string expected)
        => Assert.Equal(expected, EdgeStream.Sinks.Http.HttpSink.Classify(status).ToString());
}

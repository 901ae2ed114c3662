using System.Text;
using EdgeStream.Log;

namespace EdgeStream.Host.Tests;

public sealed class DlqVerbTests : IDisposable
{
    private readonly LogFixture _log = new();

    public void Dispose() => _log.Dispose();

    private static LogRecord DeadLetter(string value, int sourcePartition, long sourceOffset) => new(
        Encoding.UTF8.GetBytes(value),
        headers:
        [
            new RecordHeader("app", Encoding.UTF8.GetBytes("kept")),
            new RecordHeader("edgestream.dlq.sink", Encoding.UTF8.GetBytes("cloud")),
            new RecordHeader("edgestream.dlq.reason", Encoding.UTF8.GetBytes("400 Bad Request: value refused")),
            new RecordHeader("edgestream.dlq.source", Encoding.UTF8.GetBytes($"node1/orders/{sourcePartition}/{sourceOffset}")),
        ]);

    private Task SeedAsync() => _log.WriteAsync("orders", 2, async store =>
    {
        await store.AppendBatchAsync("orders", 0, [.. Enumerable.Range(0, 5).Select(i => new LogRecord(Encoding.UTF8.GetBytes($"ok{i}")))]);
        store.EnsureTopic("orders.dlq");
        await store.AppendBatchAsync("orders.dlq", 0, [DeadLetter("bad-a", 1, 7), DeadLetter("bad-b", 0, 3)]);
    });

    [Fact]
    public async Task Dlq_list_shows_dead_letter_topics_and_each_dead_letter_with_its_reason()
    {
        await SeedAsync();

        var all = await _log.RunAsync("dlq", "list");
        var one = await _log.RunAsync("dlq", "list", "orders");

        Assert.Equal(0, all.ExitCode);
        Assert.Equal(["orders.dlq", "orders", "2"], all.Lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..3]);
        Assert.Equal(0, one.ExitCode);
        Assert.Equal(4, one.Lines.Length);
        Assert.Contains("node1/orders/1/7", one.Lines[2], StringComparison.Ordinal);
        Assert.Contains("400 Bad Request: value refused", one.Lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dlq_requeue_appends_dead_letters_to_their_source_partition_then_purges_them()
    {
        await SeedAsync();

        var dry = await _log.RunAsync("dlq", "requeue", "orders");
        var done = await _log.RunAsync("dlq", "requeue", "orders.dlq", "--yes");

        Assert.Equal(2, dry.ExitCode);
        Assert.Contains("would requeue 2", dry.Output, StringComparison.Ordinal);
        Assert.Equal(0, done.ExitCode);
        Assert.Contains("requeued 2", done.Output, StringComparison.Ordinal);
        await using var store = await OpenAsync();
        var p0 = await ReadAsync(store, "orders", 0);
        var p1 = await ReadAsync(store, "orders", 1);
        Assert.Equal(["ok0", "ok1", "ok2", "ok3", "ok4", "bad-b"], p0.Select(Text));
        var back = Assert.Single(p1);
        Assert.Equal("bad-a", Text(back));
        Assert.Equal(["app"], back.Headers.Select(h => h.Name));
        Assert.Empty(await ReadAsync(store, "orders.dlq", 0));
        Assert.Equal(2, store.GetTopic("orders.dlq")!.Partitions[0].StartOffset);
    }

    [Fact]
    public async Task Dlq_purge_needs_yes_and_then_deletes_the_dead_letters()
    {
        await SeedAsync();

        var dry = await _log.RunAsync("dlq", "purge", "orders");
        await using (var store = await OpenAsync())
        {
            Assert.Equal(2, (await ReadAsync(store, "orders.dlq", 0)).Count);
        }
        var done = await _log.RunAsync("dlq", "purge", "orders", "--yes");
        var missing = await _log.RunAsync("dlq", "purge", "nothing", "--yes");

        Assert.Equal(2, dry.ExitCode);
        Assert.Equal(0, done.ExitCode);
        Assert.Contains("purged 2", done.Output, StringComparison.Ordinal);
        Assert.Equal(2, missing.ExitCode);
        await using var reopened = await OpenAsync();
        Assert.Empty(await ReadAsync(reopened, "orders.dlq", 0));
        Assert.Equal(5, (await ReadAsync(reopened, "orders", 0)).Count);
    }

    private Task<LogStore> OpenAsync()
        => LogStore.OpenAsync(new LogOptions { DataDirectory = _log.DataDirectory, CommitPolicy = "group", AutoCreateTopics = false, MinFreeBytes = 0, MinFreePercent = 0 });

    private static async Task<IReadOnlyList<StoredRecord>> ReadAsync(LogStore store, string topic, int partition)
        => store.Read(topic, partition, 0, ReadLimits.Default).Records;

    private static string Text(StoredRecord r) => Encoding.UTF8.GetString(r.Value.Span);
}

using Microsoft.Extensions.Time.Testing;

namespace EdgeStream.Log.Tests;

/// <summary>Dead-letter topics (<c>*.dlq</c>) are kept until an operator purges them.</summary>
public class DeadLetterRetentionTests
{
    private static async Task FillAsync(LogStore store, string topic, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await store.AppendAsync(topic, LogTestKit.Text($"record-{i:D5} " + new string('x', 60)));
        }
        await store.FlushAsync();
    }

    [Fact]
    public async Task Size_and_age_retention_never_delete_dead_letters()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = LogTestKit.Options(dir.Path, defaults: s => { s.SegmentBytes = 4096; s.RetentionBytes = 4096; s.RetentionAge = TimeSpan.FromDays(1); });
        await using var store = await LogStore.OpenAsync(options, timeProvider: time);
        await FillAsync(store, "t", 500);
        await FillAsync(store, "t.dlq", 500);
        time.Advance(TimeSpan.FromDays(30));
        await store.EnforceRetentionAsync();

        Assert.True(store.GetTopic("t")!.Partitions[0].StartOffset > 0);
        var dlq = store.GetTopic("t.dlq")!.Partitions[0];
        Assert.Equal(0, dlq.StartOffset);
        Assert.Equal(500, (await LogTestKit.ReadAllAsync(store, "t.dlq", 0)).Count);
    }

    [Fact]
    public async Task Drop_oldest_under_a_full_disk_never_deletes_dead_letters_and_refuses_instead()
    {
        using var dir = new TempDir();
        var options = LogTestKit.Options(dir.Path, defaults: s => { s.SegmentBytes = 4096; s.RetentionAge = null; s.WhenFull = DiskFullPolicy.DropOldest; });
        options.MaxDiskBytes = 20_000;
        await using var store = await LogStore.OpenAsync(options);
        var error = await Assert.ThrowsAsync<LogFullException>(() => FillAsync(store, "x.dlq", 2000));

        Assert.Equal("x.dlq", error.Topic);
        var dlq = store.GetTopic("x.dlq")!.Partitions[0];
        Assert.Equal(0, dlq.StartOffset);
        Assert.Equal(dlq.NextOffset, (await LogTestKit.ReadAllAsync(store, "x.dlq", 0)).Count);
    }

    [Fact]
    public async Task Purge_deletes_every_stored_record_and_keeps_offsets_growing()
    {
        using var dir = new TempDir();
        var options = LogTestKit.Options(dir.Path, defaults: s => { s.SegmentBytes = 4096; s.Partitions = 2; });
        await using (var store = await LogStore.OpenAsync(options))
        {
            await FillAsync(store, "t.dlq", 300);
            var purged = await store.PurgeTopicAsync("t.dlq", TestContext.Current.CancellationToken);

            Assert.Equal(300, purged);
            Assert.All(store.GetTopic("t.dlq")!.Partitions, p => Assert.Equal(p.NextOffset, p.StartOffset));
            Assert.Empty(await LogTestKit.ReadAllAsync(store, "t.dlq", 0));
            Assert.Empty(await LogTestKit.ReadAllAsync(store, "t.dlq", 1));
            var next = store.GetTopic("t.dlq")!.Partitions[0].NextOffset;
            var appended = await store.AppendBatchAsync("t.dlq", 0, [LogTestKit.Text("after")], TestContext.Current.CancellationToken);
            Assert.Equal(next, appended.BaseOffset);
            await store.FlushAsync(TestContext.Current.CancellationToken);
        }

        // Reopened: the purge holds, the record appended after it is there.
        await using var reopened = await LogStore.OpenAsync(options);
        var records = await LogTestKit.ReadAllAsync(reopened, "t.dlq", 0);
        Assert.Equal(["after"], records.Select(r => r.Text()));
        Assert.Empty(await LogTestKit.ReadAllAsync(reopened, "t.dlq", 1));
        await Assert.ThrowsAsync<UnknownTopicException>(() => reopened.PurgeTopicAsync("nope", TestContext.Current.CancellationToken));
    }
}

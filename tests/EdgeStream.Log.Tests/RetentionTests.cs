using Microsoft.Extensions.Time.Testing;

namespace EdgeStream.Log.Tests;

public class RetentionTests
{
    private static readonly Action<TopicSettings> Small = s => { s.SegmentBytes = 4096; s.RetentionAge = null; };

    private static async Task<LogStore> FilledAsync(LogOptions options, int count, TimeProvider? time = null)
    {
        var store = await LogStore.OpenAsync(options, timeProvider: time);
        for (var i = 0; i < count; i++)
        {
            await store.AppendAsync("t", LogTestKit.Text($"record-{i:D5} " + new string('x', 60)));
        }
        await store.FlushAsync();
        return store;
    }

    [Fact]
    public async Task The_active_segment_rolls_by_size_into_named_segment_files()
    {
        using var dir = new TempDir();
        await using var store = await FilledAsync(LogTestKit.Options(dir.Path, defaults: Small), 500);
        var files = Directory.GetFiles(Path.Combine(dir.Path, "topics", "t", "0"), "*.log").Select(Path.GetFileName).Order().ToArray();
        Assert.True(files.Length > 5);
        Assert.Equal("00000000000000000000.log", files[0]);
        Assert.All(Directory.GetFiles(Path.Combine(dir.Path, "topics", "t", "0"), "*.log"), f => Assert.True(new FileInfo(f).Length <= 4096));
    }

    [Fact]
    public async Task The_active_segment_rolls_by_age()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, defaults: s => s.SegmentMaxAge = TimeSpan.FromHours(1)), timeProvider: time);
        await store.AppendAsync("t", LogTestKit.Text("a"));
        time.Advance(TimeSpan.FromMinutes(61));
        await store.AppendAsync("t", LogTestKit.Text("b"));
        Assert.Equal(2, store.GetTopic("t")!.Partitions[0].SegmentCount);
    }

    [Fact]
    public async Task Size_retention_deletes_whole_oldest_segments_and_moves_the_start_offset()
    {
        using var dir = new TempDir();
        var options = LogTestKit.Options(dir.Path, defaults: s => { Small(s); s.RetentionBytes = 3 * 4096; });
        await using var store = await FilledAsync(options, 1000);
        await store.EnforceRetentionAsync();
        var p = store.GetTopic("t")!.Partitions[0];
        Assert.True(p.SizeBytes <= 4 * 4096, $"{p.SizeBytes} bytes left");
        Assert.True(p.StartOffset > 0);
        var records = await LogTestKit.ReadAllAsync(store, "t", 0);
        Assert.Equal(p.StartOffset, records[0].Offset);
        Assert.Equal(999, records[^1].Offset);
    }

    [Fact]
    public async Task Age_retention_deletes_segments_whose_newest_record_is_too_old()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = LogTestKit.Options(dir.Path, defaults: s => { s.SegmentBytes = 4096; s.RetentionAge = TimeSpan.FromDays(1); });
        await using var store = await FilledAsync(options, 300, time);
        time.Advance(TimeSpan.FromDays(2));
        await store.AppendAsync("t", LogTestKit.Text("fresh"));
        await store.FlushAsync();
        await store.EnforceRetentionAsync();
        var records = await LogTestKit.ReadAllAsync(store, "t", 0);
        Assert.Equal(["fresh"], records.Select(r => r.Text()));
    }

    [Fact]
    public async Task Retention_keeps_segments_a_cursor_has_not_passed()
    {
        using var dir = new TempDir();
        var options = LogTestKit.Options(dir.Path, defaults: s => { Small(s); s.RetentionBytes = 4096; });
        await using var store = await FilledAsync(options, 1000);
        await store.CommitCursorAsync("uplink", "t", 0, 100);
        await store.EnforceRetentionAsync();
        var start = store.GetTopic("t")!.Partitions[0].StartOffset;
        Assert.InRange(start, 1, 100);

        await store.CommitCursorAsync("uplink", "t", 0, 1000);
        await store.EnforceRetentionAsync();
        Assert.True(store.GetTopic("t")!.Partitions[0].StartOffset > 900);
    }

    [Fact]
    public async Task A_full_budget_rejects_with_LogFullException_and_keeps_everything_stored()
    {
        using var dir = new TempDir();
        var options = LogTestKit.Options(dir.Path, defaults: Small);
        options.MaxDiskBytes = 20_000;
        await using var store = await LogStore.OpenAsync(options);
        var stored = 0;
        var error = await Assert.ThrowsAsync<LogFullException>(async () =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                await store.AppendAsync("t", LogTestKit.Text($"record-{i:D5} " + new string('x', 60)));
                stored++;
            }
        });
        await store.FlushAsync();
        Assert.Equal("t", error.Topic);
        Assert.Contains("disk budget", error.Message);
        Assert.Equal(stored, (await LogTestKit.ReadAllAsync(store, "t", 0)).Count);
    }

    [Fact]
    public async Task Drop_oldest_deletes_old_segments_to_keep_accepting_appends()
    {
        using var dir = new TempDir();
        var options = LogTestKit.Options(dir.Path, defaults: s => { Small(s); s.WhenFull = DiskFullPolicy.DropOldest; });
        options.MaxDiskBytes = 20_000;
        await using var store = await FilledAsync(options, 2000);
        var p = store.GetTopic("t")!.Partitions[0];
        Assert.True(p.SizeBytes <= 20_000);
        Assert.True(p.StartOffset > 0);
        var records = await LogTestKit.ReadAllAsync(store, "t", 0);
        Assert.Equal(1999, records[^1].Offset);
    }

    [Fact]
    public async Task Free_space_below_the_floor_rejects_appends_before_the_disk_is_full()
    {
        using var dir = new TempDir();
        var storage = new FaultyStorage { FreeBytes = 10L << 20 };
        var options = LogTestKit.Options(dir.Path);
        options.MinFreeBytes = 64L << 20;
        await using var store = await LogStore.OpenAsync(options, storage, null, null, default);
        var error = await Assert.ThrowsAsync<LogFullException>(() => store.AppendAsync("t", LogTestKit.Text("x")).AsTask());
        Assert.Contains("free space", error.Reason);
        Assert.Equal(0, store.GetTopic("t")!.Partitions[0].NextOffset);
    }
}

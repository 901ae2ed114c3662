using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;

namespace EdgeStream.Log.Tests;

public class CursorLifecycleTests
{
    private static void Small(TopicSettings s)
    {
        s.SegmentBytes = 4096;
        s.IndexIntervalBytes = 512;
        s.RetentionBytes = 4096;
    }

    private static async Task FillAsync(LogStore store, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await store.AppendAsync("t", LogTestKit.Text($"record-{i:D5} " + new string('x', 60)));
        }
        await store.FlushAsync();
    }

    [Fact]
    public async Task Deleting_a_forgotten_cursor_releases_the_retention_it_blocked_and_the_block_is_reported_until_then()
    {
        using var dir = new TempDir();
        using var blocked = new GaugeProbe("edgestream.log.retention.blocked.bytes");
        await using (var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, defaults: Small)))
        {
            await store.AppendAsync("t", LogTestKit.Text("first"));
            await store.FlushAsync();
            await store.CommitCursorAsync("removed-sink", "t", 0, 0);
            await FillAsync(store, 1000);

            await store.EnforceRetentionAsync();
            Assert.Equal(0, store.GetTopic("t")!.Partitions[0].StartOffset);
            var (cursor, bytes) = Assert.Single(store.GetRetentionBlocks());
            Assert.Equal("removed-sink", cursor.Name);
            Assert.True(bytes > 4096);
            Assert.True(blocked.Read("cursor", "removed-sink") > 4096);

            var deleted = Assert.Single(await store.DeleteCursorAsync("removed-sink", "t", 0));
            Assert.Equal(0, deleted.NextOffset);
            Assert.Null(store.GetCursor("removed-sink", "t", 0));
            await store.EnforceRetentionAsync();
            Assert.True(store.GetTopic("t")!.Partitions[0].StartOffset > 900);
            Assert.Empty(store.GetRetentionBlocks());
            Assert.Null(blocked.Read("cursor", "removed-sink"));
        }
        await using var reopened = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
        Assert.Empty(reopened.GetCursors());
    }

    [Fact]
    public async Task Deleting_a_cursor_by_name_removes_it_from_every_partition_and_leaves_other_cursors()
    {
        using var dir = new TempDir();
        var options = LogTestKit.Options(dir.Path, defaults: s => s.Partitions = 2);
        await using var store = await LogStore.OpenAsync(options);
        await store.AppendBatchAsync("t", 0, [LogTestKit.Text("a")]);
        await store.AppendBatchAsync("t", 1, [LogTestKit.Text("b")]);
        await store.FlushAsync();
        await store.CommitCursorAsync("pull-job", "t", 0, 1);
        await store.CommitCursorAsync("pull-job", "t", 1, 1);
        await store.CommitCursorAsync("sink", "t", 0, 1);

        Assert.Equal(2, (await store.DeleteCursorAsync("pull-job")).Count);
        Assert.Empty(await store.DeleteCursorAsync("pull-job"));
        Assert.Equal(["sink"], store.GetCursors().Select(c => c.Name));
    }

    [Fact]
    public async Task An_idle_cursor_expires_and_stops_pinning_retention_but_a_sink_cursor_never_does()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = LogTestKit.Options(dir.Path, defaults: s => { Small(s); s.RetentionAge = null; });
        options.CursorIdleExpiry = TimeSpan.FromDays(30);
        await using var store = await LogStore.OpenAsync(options, timeProvider: time);
        await store.AppendAsync("t", LogTestKit.Text("first"));
        await store.FlushAsync();
        await store.CommitCursorAsync("one-off-pull", "t", 0, 0);
        await FillAsync(store, 1000);
        await store.CommitCursorAsync("configured-sink", "t", 0, 1001);
        store.MarkCursorsInUse(["configured-sink"]);

        time.Advance(TimeSpan.FromDays(29));
        await store.EnforceRetentionAsync();
        Assert.Equal(0, store.GetCursor("one-off-pull", "t", 0));
        Assert.Equal(0, store.GetTopic("t")!.Partitions[0].StartOffset);

        time.Advance(TimeSpan.FromDays(2));
        await store.EnforceRetentionAsync();
        Assert.Null(store.GetCursor("one-off-pull", "t", 0));
        Assert.Equal(1001, store.GetCursor("configured-sink", "t", 0));
        Assert.True(store.GetTopic("t")!.Partitions[0].StartOffset > 900);

        time.Advance(TimeSpan.FromDays(365));
        await store.EnforceRetentionAsync();
        Assert.Equal(1001, store.GetCursor("configured-sink", "t", 0));
    }

    [Fact]
    public async Task A_committed_cursor_does_not_expire()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = LogTestKit.Options(dir.Path);
        options.CursorIdleExpiry = TimeSpan.FromDays(1);
        await using var store = await LogStore.OpenAsync(options, timeProvider: time);
        await store.AppendAsync("t", LogTestKit.Text("a"));
        await store.FlushAsync();
        for (var day = 0; day < 5; day++)
        {
            await store.CommitCursorAsync("busy", "t", 0, 1);
            time.Advance(TimeSpan.FromHours(20));
            await store.EnforceRetentionAsync();
        }
        Assert.Equal(1, store.GetCursor("busy", "t", 0));
    }

    /// <summary>Reads the latest value of an observable gauge on meter EdgeStream.Log for a tag value.</summary>
    internal sealed class GaugeProbe : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly string _instrument;
        private readonly List<(long Value, KeyValuePair<string, object?>[] Tags)> _seen = [];

        public GaugeProbe(string instrument)
        {
            _instrument = instrument;
            _listener.InstrumentPublished = (i, l) =>
            {
                if (i.Meter.Name == "EdgeStream.Log" && i.Name == _instrument)
                {
                    l.EnableMeasurementEvents(i);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) => _seen.Add((value, tags.ToArray())));
            _listener.SetMeasurementEventCallback<int>((_, value, tags, _) => _seen.Add((value, tags.ToArray())));
            _listener.Start();
        }

        public long? Read(string tag, object value)
        {
            _seen.Clear();
            _listener.RecordObservableInstruments();
            var hits = _seen.Where(s => s.Tags.Any(t => t.Key == tag && Equals(t.Value, value))).ToList();
            return hits.Count == 0 ? null : hits.Max(h => h.Value);
        }

        public void Dispose() => _listener.Dispose();
    }
}

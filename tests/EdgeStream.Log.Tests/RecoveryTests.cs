using EdgeStream.Log.Storage;

namespace EdgeStream.Log.Tests;

public class RecoveryTests
{
    private static string SegmentOf(string data, string topic = "t", int partition = 0)
        => Directory.EnumerateFiles(Path.Combine(data, "topics", topic, partition.ToString()), "*.log").Order().Last();

    private static async Task FillAsync(string data, int count, Action<TopicSettings>? settings = null)
    {
        await using var store = await LogStore.OpenAsync(LogTestKit.Options(data, defaults: settings));
        for (var i = 0; i < count; i++)
        {
            await store.AppendAsync("t", LogTestKit.Text($"record-{i:D5}"));
        }
    }

    [Fact]
    public async Task A_torn_tail_is_truncated_at_the_last_whole_batch_and_appends_continue_after_it()
    {
        using var dir = new TempDir();
        await FillAsync(dir.Path, 10);
        var segment = SegmentOf(dir.Path);
        var whole = new FileInfo(segment).Length;
        // A power cut in the middle of a batch: half of an 11th batch reached the disk.
        var torn = File.ReadAllBytes(segment).AsSpan(0, (int)(whole / 10)).ToArray();
        using (var f = File.OpenWrite(segment))
        {
            f.Seek(0, SeekOrigin.End);
            f.Write(torn, 0, torn.Length / 2);
        }

        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
        Assert.Equal(whole, new FileInfo(segment).Length);
        var next = await store.AppendAsync("t", LogTestKit.Text("after"));
        await store.FlushAsync();
        Assert.Equal(10, next.BaseOffset);
        Assert.Equal(11, (await LogTestKit.ReadAllAsync(store, "t", 0)).Count);
    }

    [Fact]
    public async Task A_bit_flip_in_the_unflushed_tail_truncates_from_that_batch_and_keeps_everything_before()
    {
        using var dir = new TempDir();
        await FillAsync(dir.Path, 10);
        var segment = SegmentOf(dir.Path);
        var bytes = File.ReadAllBytes(segment);
        var batchSize = bytes.Length / 10;
        bytes[(7 * batchSize) + 30] ^= 0x40;
        File.WriteAllBytes(segment, bytes);
        // Without a recovery point the whole partition is "unflushed": recovery scans it all.
        File.Delete(Path.Combine(Path.GetDirectoryName(segment)!, "recovery-point"));

        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
        var records = await LogTestKit.ReadAllAsync(store, "t", 0);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"record-{i:D5}"), records.Select(r => r.Text()));
        Assert.Equal(7, store.GetTopic("t")!.Partitions[0].NextOffset);
    }

    [Fact]
    public async Task A_corrupt_batch_below_the_recovery_point_is_never_returned_to_a_reader_but_skipped()
    {
        using var dir = new TempDir();
        await FillAsync(dir.Path, 10);
        var segment = SegmentOf(dir.Path);
        var bytes = File.ReadAllBytes(segment);
        bytes[(3 * (bytes.Length / 10)) + 50] ^= 0x01;
        File.WriteAllBytes(segment, bytes);

        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
        var first = store.Read("t", 0, 0, new ReadLimits(3, 1 << 20));
        Assert.Equal(3, first.Records.Count);
        var rest = store.Read("t", 0, 3, ReadLimits.Default);
        Assert.Equal(Enumerable.Range(4, 6).Select(i => $"record-{i:D5}"), rest.Records.Select(r => r.Text()));
        var report = await LogVerifier.VerifyAsync(dir.Path, cancellationToken: TestContext.Current.CancellationToken);
        Assert.False(report.Ok);
        Assert.Contains("CRC32C", report.Problems[0].Reason);
    }

    [Fact]
    public async Task Missing_or_garbled_indexes_are_rebuilt_and_lookups_still_work()
    {
        using var dir = new TempDir();
        await FillAsync(dir.Path, 400, s => { s.SegmentBytes = 4096; s.IndexIntervalBytes = 512; });
        var partitionDir = Path.Combine(dir.Path, "topics", "t", "0");
        var indexes = Directory.GetFiles(partitionDir, "*.index").Order().ToArray();
        File.Delete(indexes[0]);
        File.WriteAllBytes(indexes[1], [9, 9, 9, 9, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
        File.Delete(Directory.GetFiles(partitionDir, "*.timeindex").Order().First());

        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, defaults: s => { s.SegmentBytes = 4096; s.IndexIntervalBytes = 512; }));
        Assert.True(new FileInfo(indexes[0]).Length > 0);
        var records = await LogTestKit.ReadAllAsync(store, "t", 0, from: 5);
        Assert.Equal(395, records.Count);
        Assert.Equal("record-00005", records[0].Text());
        var mid = store.Read("t", 0, 37, new ReadLimits(1, 1000));
        Assert.Equal("record-00037", mid.Records[0].Text());
    }

    [Fact]
    public async Task Reopening_after_a_clean_close_scans_only_the_tail_not_the_whole_partition()
    {
        using var dir = new TempDir();
        Action<TopicSettings> small = s => { s.SegmentBytes = 64 * 1024; };
        await FillAsync(dir.Path, 20_000, small);
        var total = Directory.GetFiles(Path.Combine(dir.Path, "topics", "t", "0"), "*.log").Sum(f => new FileInfo(f).Length);
        var storage = new FaultyStorage();

        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, defaults: small), storage, null, null, default);
        Assert.True(total > 1_000_000, $"partition is {total} bytes");
        Assert.True(storage.SegmentBytesRead < 64 * 1024, $"recovery read {storage.SegmentBytesRead} of {total} bytes");
        Assert.Equal(20_000, store.GetTopic("t")!.Partitions[0].NextOffset);
    }

    [Fact]
    public async Task After_a_crash_recovery_scans_at_most_what_followed_the_recovery_point()
    {
        using var dir = new TempDir();
        Action<TopicSettings> small = s => { s.SegmentBytes = 64 * 1024; };
        await FillAsync(dir.Path, 20_000, small);
        var partitionDir = Path.Combine(dir.Path, "topics", "t", "0");
        // Simulate a crash long after the last checkpoint: the recovery point is back at the start of the last segment.
        var lastBase = long.Parse(Path.GetFileNameWithoutExtension(Directory.GetFiles(partitionDir, "*.log").Order().Last()));
        Log.Partitions.RecoveryCheckpoint.Write(FileLogStorage.Instance, partitionDir, lastBase);
        var storage = new FaultyStorage();

        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, defaults: small), storage, null, null, default);
        Assert.True(storage.SegmentBytesRead <= 64 * 1024 + 4096, $"recovery read {storage.SegmentBytesRead} bytes");
        Assert.Equal(20_000, store.GetTopic("t")!.Partitions[0].NextOffset);
    }

    [Fact]
    public async Task Segments_after_a_truncated_one_are_deleted_because_the_log_is_a_prefix()
    {
        using var dir = new TempDir();
        Action<TopicSettings> small = s => { s.SegmentBytes = 4096; };
        await FillAsync(dir.Path, 1000, small);
        var partitionDir = Path.Combine(dir.Path, "topics", "t", "0");
        var logs = Directory.GetFiles(partitionDir, "*.log").Order().ToArray();
        File.Delete(Path.Combine(partitionDir, "recovery-point"));
        var victim = File.ReadAllBytes(logs[2]);
        victim[victim.Length - 5] ^= 0xFF;
        File.WriteAllBytes(logs[2], victim);

        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, defaults: small));
        var info = store.GetTopic("t")!.Partitions[0];
        Assert.Equal(3, info.SegmentCount);
        var records = await LogTestKit.ReadAllAsync(store, "t", 0);
        Assert.Equal(info.NextOffset, records.Count);
        Assert.Equal(Enumerable.Range(0, records.Count).Select(i => $"record-{i:D5}"), records.Select(r => r.Text()));
    }
}

using System.Diagnostics.Metrics;

namespace EdgeStream.Log.Tests;

public class CorruptionTests
{
    private static readonly Action<TopicSettings> Small = s => { s.SegmentBytes = 8192; s.IndexIntervalBytes = 1024; };

    private static string PartitionDir(string data, string topic, int partition = 0) => Path.Combine(data, "topics", topic, partition.ToString());

    private static async Task FillAsync(string data, string topic, int count, int partitions = 1)
    {
        var options = LogTestKit.Options(data, defaults: Small);
        options.Defaults.Partitions = partitions;
        await using var store = await LogStore.OpenAsync(options);
        for (var p = 0; p < partitions; p++)
        {
            for (var i = 0; i < count; i += 10)
            {
                await store.AppendBatchAsync(topic, p, [.. Enumerable.Range(i, Math.Min(10, count - i)).Select(n => LogTestKit.Text($"record-{n:D5}"))]);
            }
        }
    }

    /// <summary>Flips 16 bytes in the middle of a sealed (not the last) segment, well below the recovery point.</summary>
    private static void Rot(string partitionDir)
    {
        var segments = Directory.GetFiles(partitionDir, "*.log").Order().ToArray();
        Assert.True(segments.Length >= 3, $"only {segments.Length} segments");
        var victim = segments[segments.Length / 2];
        var bytes = File.ReadAllBytes(victim);
        for (var i = 0; i < 16; i++)
        {
            bytes[(bytes.Length / 2) + i] ^= 0x5A;
        }
        File.WriteAllBytes(victim, bytes);
    }

    /// <summary>The pull-API loop: from 0 to the durable end, following NextOffset.</summary>
    private static async Task<List<StoredRecord>> PullAllAsync(LogStore store, string topic, int partition)
    {
        var all = new List<StoredRecord>();
        long from = 0;
        for (var guard = 0; guard < 10_000; guard++)
        {
            var result = store.Read(topic, partition, from, new ReadLimits(37, 1 << 20));
            all.AddRange(result.Records);
            if (result.NextOffset >= result.DurableOffset)
            {
                return all;
            }
            Assert.True(result.NextOffset > from, $"no progress from {from}");
            from = result.NextOffset;
        }
        throw new InvalidOperationException("the read loop did not end");
    }

    [Fact]
    public async Task Corrupt_batch_below_the_recovery_point_is_skipped_counted_and_reported_and_the_rest_is_served()
    {
        using var dir = new TempDir();
        await FillAsync(dir.Path, "rot", 3000);
        Rot(PartitionDir(dir.Path, "rot"));
        var batches = 0L;
        var skipped = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "EdgeStream.Log" && instrument.Name.StartsWith("edgestream.log.corrupt.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (tags.ToArray().Any(t => t.Key == "topic" && (string?)t.Value == "rot"))
            {
                _ = instrument.Name == "edgestream.log.corrupt.batches" ? Interlocked.Add(ref batches, value) : Interlocked.Add(ref skipped, value);
            }
        });
        listener.Start();

        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, defaults: Small));
        var records = await PullAllAsync(store, "rot", 0);
        var again = await LogTestKit.ReadAllAsync(store, "rot", 0);

        var damage = Assert.Single(store.GetCorruptions());
        Assert.Equal(("rot", 0, false), (damage.Topic, damage.Partition, damage.Parked));
        Assert.NotEmpty(damage.Ranges);
        bool Skipped(long offset) => damage.Ranges.Any(r => offset >= r.FirstOffset && offset < r.EndOffset);
        var expected = Enumerable.Range(0, 3000).Where(i => !Skipped(i)).Select(i => $"record-{i:D5}").ToList();
        Assert.InRange(3000 - expected.Count, 1, 40);
        Assert.Equal(expected, records.Select(r => r.Text()));
        Assert.Equal(records.Select(r => r.Offset), again.Select(r => r.Offset));
        Assert.All(damage.Ranges, r => Assert.EndsWith(".log", r.Segment));
        // Counted once per damaged range, however often it is read past.
        Assert.Equal(damage.Ranges.Count, Interlocked.Read(ref batches));
        Assert.Equal(damage.Ranges.Sum(r => r.SkippedRecords), Interlocked.Read(ref skipped));
        Assert.Equal(3000, store.GetTopic("rot")!.Partitions[0].NextOffset);
        // The partition keeps taking appends and serving them.
        var after = await store.AppendAsync("rot", LogTestKit.Text("after"));
        await store.WaitForDurableAsync("rot", 0, after.LastOffset);
        Assert.Equal("after", store.Read("rot", 0, 3000, ReadLimits.Default).Records.Single().Text());
    }

    [Fact]
    public async Task Stop_partition_parks_only_the_damaged_partition()
    {
        using var dir = new TempDir();
        await FillAsync(dir.Path, "park", 1500, partitions: 2);
        Rot(PartitionDir(dir.Path, "park", 1));
        var options = LogTestKit.Options(dir.Path, defaults: Small);
        options.OnCorruption = "stop-partition";

        await using var store = await LogStore.OpenAsync(options);
        var parked = await Assert.ThrowsAsync<PartitionParkedException>(() => PullAllAsync(store, "park", 1));
        Assert.Contains("park/1", parked.Message);
        Assert.Throws<PartitionParkedException>(() => store.Read("park", 1, 0, ReadLimits.Default));
        await Assert.ThrowsAsync<PartitionParkedException>(() => store.AppendBatchAsync("park", 1, [LogTestKit.Text("refused")]).AsTask());
        Assert.True(Assert.Single(store.GetCorruptions()).Parked);

        Assert.Equal(1500, (await PullAllAsync(store, "park", 0)).Count);
        var ok = await store.AppendBatchAsync("park", 0, [LogTestKit.Text("still fine")]);
        await store.WaitForDurableAsync("park", 0, ok.LastOffset);
    }

    [Fact]
    public async Task An_unknown_OnCorruption_value_is_refused_at_start_naming_the_key()
    {
        using var dir = new TempDir();
        var options = LogTestKit.Options(dir.Path);
        options.OnCorruption = "ignore";
        var error = await Assert.ThrowsAsync<ArgumentException>(() => LogStore.OpenAsync(options));
        Assert.StartsWith("Log:OnCorruption", error.Message);
    }

    [Fact]
    public async Task Damage_below_the_recovery_point_in_the_active_segment_is_not_cut_by_recovery()
    {
        using var dir = new TempDir();
        await using (var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path)))
        {
            for (var i = 0; i < 100; i++)
            {
                await store.AppendAsync("t", LogTestKit.Text($"record-{i:D5}"));
            }
        }
        var segment = Directory.GetFiles(PartitionDir(dir.Path, "t"), "*.log").Single();
        var bytes = File.ReadAllBytes(segment);
        // The length field of a batch in the middle: recovery's header walk stops there.
        var batch = bytes.Length / 100;
        bytes[(50 * batch) + 9] ^= 0x7F;
        File.WriteAllBytes(segment, bytes);

        await using var reopened = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
        Assert.Equal(100, reopened.GetTopic("t")!.Partitions[0].NextOffset);
        var records = await PullAllAsync(reopened, "t", 0);
        Assert.Equal(99, records.Count);
        Assert.DoesNotContain(records, r => r.Offset == 50);
        Assert.Equal("record-00099", records[^1].Text());
    }

    [Fact]
    public async Task A_recovery_point_beyond_the_end_of_the_files_falls_back_to_scanning()
    {
        using var dir = new TempDir();
        await FillAsync(dir.Path, "short", 1000);
        var partition = PartitionDir(dir.Path, "short");
        var segments = Directory.GetFiles(partition, "*.log").Order().ToArray();
        // A power cut took the unsynced end of two segments though a recovery point claimed them (the old bug).
        foreach (var victim in new[] { segments[^2], segments[^1] })
        {
            var bytes = File.ReadAllBytes(victim);
            File.WriteAllBytes(victim, bytes[..(bytes.Length / 2)]);
        }

        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, defaults: Small))
            .WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        var info = store.GetTopic("short")!.Partitions[0];
        var records = await PullAllAsync(store, "short", 0).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(records.Select(r => r.Offset).Distinct().Count(), records.Count);
        Assert.All(records, r => Assert.Equal($"record-{r.Offset:D5}", r.Text()));
        Assert.Equal(info.NextOffset, records[^1].Offset + 1);
        var next = await store.AppendAsync("short", LogTestKit.Text("next"));
        Assert.Equal(info.NextOffset, next.BaseOffset);
    }
}

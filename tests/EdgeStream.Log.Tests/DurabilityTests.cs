namespace EdgeStream.Log.Tests;

public class DurabilityTests
{
    [Fact]
    public async Task A_failed_fsync_fails_the_waiters_and_the_partition_until_reopened()
    {
        using var dir = new TempDir();
        var storage = new FaultyStorage();
        await using (var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, "always"), storage, null, null, default))
        {
            await store.AppendAsync("t", LogTestKit.Text("durable"));
            storage.FailFlush = true;
            await Assert.ThrowsAsync<PartitionFailedException>(() => store.AppendAsync("t", LogTestKit.Text("not acknowledged")).AsTask());
            await Assert.ThrowsAsync<PartitionFailedException>(() => store.AppendAsync("t", LogTestKit.Text("refused")).AsTask());
            storage.FailFlush = false;
        }
        await using var reopened = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
        var records = await LogTestKit.ReadAllAsync(reopened, "t", 0);
        Assert.Equal("durable", records[0].Text());
    }

    [Theory]
    [InlineData("always")]
    [InlineData("group")]
    public async Task Back_to_back_commits_each_get_an_fsync_and_most_are_done_within_the_waiting_call(string policy)
    {
        using var dir = new TempDir();
        var storage = new FaultyStorage();
        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, policy), storage, null, null, default);
        await store.AppendAsync("t", LogTestKit.Text("creates the topic"));
        await store.WaitForDurableAsync("t", 0, 0);
        var fsyncs = 0;
        storage.BeforeFlush = _ => Interlocked.Increment(ref fsyncs);
        var doneWithinTheCall = 0;
        for (var i = 0; i < 20; i++)
        {
            var appended = await store.AppendBatchAsync("t", 0, [LogTestKit.Text($"m{i}")]);
            var wait = store.WaitForDurableAsync("t", 0, appended.BaseOffset);
            if (wait.IsCompletedSuccessfully)
            {
                doneWithinTheCall++;
            }
            await wait;
        }
        storage.BeforeFlush = null;

        Assert.True(fsyncs >= 20, $"{fsyncs} fsyncs for 20 commits awaited one by one");
        // With no flush running the waiter commits itself rather than handing the fsync to the flusher and waiting to
        // be scheduled back. The flusher, woken by each append, can get there first now and then, so not every one.
        Assert.True(doneWithinTheCall >= 5, $"{doneWithinTheCall} of 20 waits were durable when the call returned");
    }

    [Fact]
    public async Task Appends_go_on_while_the_flusher_writes_the_batches_it_coalesced()
    {
        using var dir = new TempDir();
        var storage = new FaultyStorage();
        var ct = TestContext.Current.CancellationToken;
        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path), storage, null, null, ct);
        var first = await store.AppendAsync("t", LogTestKit.Text("first"), ct);
        await store.WaitForDurableAsync("t", 0, first.LastOffset, ct);
        // Holds the flusher inside its write of the coalesced batches.
        using var write = new HeldSegmentWrite(storage);
        AppendResult held, during;
        try
        {
            held = await store.AppendAsync("t", LogTestKit.Text("held"), ct);
            Assert.True(await write.StartedAsync(ct), "the flusher never wrote the appended batch");

            during = await Task.Run(() => store.AppendAsync("t", LogTestKit.Text("during"), ct).AsTask(), ct).WaitAsync(TimeSpan.FromSeconds(5), ct);

            Assert.Equal(held.LastOffset + 1, during.BaseOffset);
            Assert.Equal(held.BaseOffset, store.GetTopic("t")!.Partitions[0].DurableOffset);
        }
        finally
        {
            write.Release();
        }
        await store.WaitForDurableAsync("t", 0, during.LastOffset, ct);
        Assert.Equal(["first", "held", "during"], (await LogTestKit.ReadAllAsync(store, "t", 0)).Select(r => r.Text()));
    }

    [Theory]
    [InlineData("always")]
    [InlineData("group")]
    [InlineData("interval:5ms")]
    [InlineData("bytes:2048")]
    public async Task Concurrent_appenders_all_become_durable_with_unique_dense_offsets(string policy)
    {
        using var dir = new TempDir();
        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, policy.StartsWith("bytes") ? "interval:20ms,bytes:2048" : policy));
        var offsets = await Task.WhenAll(Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            var mine = new List<long>();
            for (var i = 0; i < 100; i++)
            {
                var r = await store.AppendAsync("t", LogTestKit.Text($"w{w}-{i}"));
                await store.WaitForDurableAsync("t", 0, r.BaseOffset);
                mine.Add(r.BaseOffset);
            }
            return mine;
        })));
        var all = offsets.SelectMany(o => o).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 1600).Select(i => (long)i), all);
        Assert.All(offsets, o => Assert.Equal(o.Order(), o));
        Assert.Equal(1600, store.GetTopic("t")!.Partitions[0].DurableOffset);
    }

    [Fact]
    public async Task Always_mode_returns_only_once_the_append_is_durable()
    {
        using var dir = new TempDir();
        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, "always"));
        for (var i = 0; i < 20; i++)
        {
            var r = await store.AppendAsync("t", LogTestKit.Text("x"));
            Assert.True(store.GetTopic("t")!.Partitions[0].DurableOffset > r.LastOffset);
        }
    }

    [Fact]
    public async Task Records_appended_before_a_clean_close_are_all_there_after_reopen()
    {
        using var dir = new TempDir();
        await using (var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, "interval:60000ms")))
        {
            await store.AppendBatchAsync("t", 0, Enumerable.Range(0, 1000).Select(i => LogTestKit.Text($"r{i}")).ToList());
        }
        await using var reopened = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
        Assert.Equal(1000, (await LogTestKit.ReadAllAsync(reopened, "t", 0)).Count);
    }

    [FsCheck.Xunit.Property(MaxTest = 40)]
    public Task<bool> Any_sequence_of_batches_reads_back_byte_for_byte(byte[][][] batches, bool compress)
        => RoundTrip(batches.Where(b => b is { Length: > 0 }).Take(20).ToArray(), compress);

    private static async Task<bool> RoundTrip(byte[][][] batches, bool compress)
    {
        using var dir = new TempDir();
        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, defaults: s => { s.SegmentBytes = 4096; if (compress) { s.Compression = CompressionCodec.Lz4; } }));
        var expected = new List<(byte[] Value, byte[]? Key)>();
        foreach (var batch in batches)
        {
            var records = batch.Select((v, i) => new LogRecord(v ?? [], i % 2 == 0 ? v : null, headers: [new RecordHeader("n", v ?? [])])).ToList();
            await store.AppendBatchAsync("p", 0, records);
            expected.AddRange(records.Select(r => (r.Value.ToArray(), r.Key?.ToArray())));
        }
        if (expected.Count == 0)
        {
            return true;
        }
        await store.FlushAsync();
        var back = await LogTestKit.ReadAllAsync(store, "p", 0);
        return back.Count == expected.Count && back.Zip(expected).All(x =>
            x.First.Value.Span.SequenceEqual(x.Second.Value)
            && (x.First.Key?.ToArray() ?? []).AsSpan().SequenceEqual(x.Second.Key ?? [])
            && x.First.GetHeader("n")!.Value.Span.SequenceEqual(x.Second.Value));
    }
}

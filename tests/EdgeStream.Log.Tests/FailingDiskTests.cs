using EdgeStream.Log.Partitions;
using EdgeStream.Log.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EdgeStream.Log.Tests;

public class FailingDiskTests
{
    [Fact]
    public async Task A_failed_fsync_fails_its_waiters_then_the_partition_reopens_with_every_acknowledged_record()
    {
        using var dir = new TempDir();
        var storage = new FaultyStorage();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using (var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, "always"), storage, null, time, default))
        {
            for (var i = 0; i < 3; i++)
            {
                await store.AppendAsync("t", LogTestKit.Text($"acked-{i}"));
            }
            storage.FailFlush = true;
            await Assert.ThrowsAsync<PartitionFailedException>(() => store.AppendAsync("t", LogTestKit.Text("never acknowledged")).AsTask());
            var failure = Assert.Single(store.GetFailedPartitions());
            Assert.Equal(("t", 0), (failure.Topic, failure.Partition));
            Assert.Contains("Injected fsync failure", failure.Error);
            await Assert.ThrowsAsync<PartitionFailedException>(() => store.AppendAsync("t", LogTestKit.Text("refused while failed")).AsTask());

            storage.FailFlush = false;
            await AdvanceUntilAsync(time, () => store.GetFailedPartitions().Count == 0);

            // Offset 3 went to the unacknowledged record, which the reopen cut: a record reusing it is stored, but its
            // acknowledgement is refused, since a late waiter for the old record could not tell them apart.
            await Assert.ThrowsAsync<PartitionFailedException>(() => store.AppendAsync("t", LogTestKit.Text("reuses-3")).AsTask());
            var after = await store.AppendAsync("t", LogTestKit.Text("after-reopen"));
            Assert.Equal(4, after.BaseOffset);
            Assert.Equal(["acked-0", "acked-1", "acked-2", "reuses-3", "after-reopen"], (await LogTestKit.ReadAllAsync(store, "t", 0)).Select(r => r.Text()));
        }
        await using var reopened = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
        Assert.Equal(["acked-0", "acked-1", "acked-2", "reuses-3", "after-reopen"], (await LogTestKit.ReadAllAsync(reopened, "t", 0)).Select(r => r.Text()));
    }

    [Fact]
    public async Task A_partition_whose_fsync_keeps_failing_stays_failed_and_reports_how_long()
    {
        using var dir = new TempDir();
        var storage = new FaultyStorage();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, "always"), storage, null, time, default);
        await store.AppendAsync("t", LogTestKit.Text("acked"));
        storage.FailFlush = true;
        await Assert.ThrowsAsync<PartitionFailedException>(() => store.AppendAsync("t", LogTestKit.Text("x")).AsTask());

        await AdvanceUntilAsync(time, () => store.GetFailedPartitions() is [{ ReopenAttempts: >= 3 }]);

        var failure = Assert.Single(store.GetFailedPartitions());
        Assert.True(failure.FailedFor >= PartitionLog.FirstReopenDelay * 7, $"failed for {failure.FailedFor}");
        await Assert.ThrowsAsync<PartitionFailedException>(() => store.AppendAsync("t", LogTestKit.Text("still refused")).AsTask());
        Assert.Equal(["acked"], (await LogTestKit.ReadAllAsync(store, "t", 0)).Select(r => r.Text()));
    }

    [Fact]
    public async Task A_failed_write_fails_the_partition_which_reopens_without_the_torn_bytes()
    {
        using var dir = new TempDir();
        var storage = new FaultyStorage();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        // Without preallocation appends write through, so the write (and its failure) happens in the append.
        var options = LogTestKit.Options(dir.Path);
        options.SegmentPreallocationBytes = 0;
        await using var store = await LogStore.OpenAsync(options, storage, null, time, default);
        var first = await store.AppendAsync("t", LogTestKit.Text("kept-0"));
        await store.WaitForDurableAsync("t", 0, first.LastOffset);
        storage.FailNextSegmentWriteAfter = 7;
        await Assert.ThrowsAsync<PartitionFailedException>(() => store.AppendAsync("t", LogTestKit.Text("lost")).AsTask());

        await AdvanceUntilAsync(time, () => store.GetFailedPartitions().Count == 0);
        var next = await store.AppendAsync("t", LogTestKit.Text("kept-1"));
        await store.WaitForDurableAsync("t", 0, next.LastOffset);
        Assert.Equal(1, next.BaseOffset);
        Assert.Equal(["kept-0", "kept-1"], (await LogTestKit.ReadAllAsync(store, "t", 0)).Select(r => r.Text()));
    }

    [Fact]
    public async Task A_write_refused_with_ENOSPC_is_a_full_log_not_a_failed_partition_and_appends_resume_when_space_returns()
    {
        using var dir = new TempDir();
        var storage = new FaultyStorage();
        // Without preallocation every append writes and may meet ENOSPC (PreallocationTests covers the allocating path).
        var options = LogTestKit.Options(dir.Path, "always");
        options.SegmentPreallocationBytes = 0;
        await using (var store = await LogStore.OpenAsync(options, storage, null, null, default))
        {
            await store.AppendAsync("t", LogTestKit.Text("stored-0"));
            storage.VolumeFull = true;
            var full = await Assert.ThrowsAsync<LogFullException>(() => store.AppendAsync("t", LogTestKit.Text("refused")).AsTask());
            Assert.Equal("t", full.Topic);
            await Assert.ThrowsAsync<LogFullException>(() => store.AppendAsync("t", LogTestKit.Text("refused again")).AsTask());
            Assert.Empty(store.GetFailedPartitions());

            storage.VolumeFull = false;
            var resumed = await store.AppendAsync("t", LogTestKit.Text("stored-1"));
            Assert.Equal(1, resumed.BaseOffset);
        }
        await using var reopened = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
        Assert.Equal(["stored-0", "stored-1"], (await LogTestKit.ReadAllAsync(reopened, "t", 0)).Select(r => r.Text()));
    }

    [Fact]
    public void The_error_Linux_raises_for_a_full_device_is_recognised_as_a_full_disk()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && File.Exists("/dev/full"), "needs Linux /dev/full");
        using var file = FileLogStorage.Instance.Open("/dev/full", createIfMissing: false);
        var error = Assert.ThrowsAny<IOException>(() => file.Write(0, new byte[4096]));
        Assert.True(DiskFull.Is(error), $"{error.GetType().Name} HResult {error.HResult}: {error.Message}");
        Assert.False(DiskFull.Is(new IOException("Input/output error", 5)));
    }

    [Fact]
    public async Task Under_a_byte_threshold_alone_a_durability_wait_forces_the_flush()
    {
        using var dir = new TempDir();
        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, "bytes:1048576"));
        var appended = await store.AppendAsync("t", LogTestKit.Text("one small publish"));
        // Nothing else is appended: before the fix this wait never ended.
        await store.WaitForDurableAsync("t", 0, appended.LastOffset).AsTask().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(1, store.GetTopic("t")!.Partitions[0].DurableOffset);
    }

    [Fact]
    public async Task A_reopen_waits_for_the_flushers_write_before_it_cuts_the_file()
    {
        using var dir = new TempDir();
        var storage = new FaultyStorage();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ct = TestContext.Current.CancellationToken;
        await using (var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path), storage, null, time, ct))
        {
            var kept = await store.AppendAsync("t", LogTestKit.Text("kept"), ct);
            await store.WaitForDurableAsync("t", 0, kept.LastOffset, ct);
            using var held = new HeldSegmentWrite(storage);
            var advancing = Task.CompletedTask;
            try
            {
                await store.AppendAsync("t", LogTestKit.Text("in the held write"), ct);
                Assert.True(await held.StartedAsync(ct), "the flusher never wrote");
                // A batch too large to buffer is written by its appender, and that write fails: the partition reopens.
                storage.FailNextSegmentWriteAfter = 7;
                var large = new LogRecord(new byte[Segments.Segment.MaxPendingBytes / 4 + 1]);
                await Assert.ThrowsAsync<PartitionFailedException>(() => store.AppendAsync("t", large, ct).AsTask());

                // Past every reopen backoff, in steps, so a reopen that did not wait for the write would be done. The
                // fake clock runs the reopen on the advancing thread, so that thread waits with it.
                advancing = Task.Run(async () =>
                {
                    for (var i = 0; i < 20; i++)
                    {
                        time.Advance(TimeSpan.FromSeconds(1));
                        await Task.Delay(25, ct);
                    }
                }, ct);
                await Task.Delay(1000, ct);
                Assert.Single(store.GetFailedPartitions());
            }
            finally
            {
                held.Release();
            }
            await advancing;
            await AdvanceUntilAsync(time, () => store.GetFailedPartitions().Count == 0);
            // Offset 1 went to the held write's record, which the reopen cut: its reuse is stored, its ack refused.
            var reuse = await store.AppendAsync("t", LogTestKit.Text("reuses-1"), ct);
            await Assert.ThrowsAsync<PartitionFailedException>(() => store.WaitForDurableAsync("t", 0, reuse.LastOffset, ct).AsTask());
            var after = await store.AppendAsync("t", LogTestKit.Text("after"), ct);
            await store.WaitForDurableAsync("t", 0, after.LastOffset, ct);
        }
        await using var reopened = await LogStore.OpenAsync(LogTestKit.Options(dir.Path), cancellationToken: ct);
        Assert.Equal(["kept", "reuses-1", "after"], (await LogTestKit.ReadAllAsync(reopened, "t", 0)).Select(r => r.Text()));
    }

    /// <summary>Moves the fake clock in small steps until <paramref name="done"/> holds; fails after 20 s of real time.</summary>
    internal static Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> done)
        => Poll.UntilAsync(() =>
        {
            if (done())
            {
                return true;
            }
            time.Advance(TimeSpan.FromMilliseconds(100));
            return false;
        }, what: "the condition while the fake clock advances", cancellationToken: TestContext.Current.CancellationToken);
}

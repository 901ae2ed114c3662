using Microsoft.Extensions.Time.Testing;

namespace EdgeStream.Log.Tests;

/// <summary>Log:SegmentPreallocationBytes: zero tails, trimming, and failures of coalesced writes and allocations.</summary>
public class PreallocationTests
{
    private static string SegmentOf(string data, string topic = "t")
        => Directory.EnumerateFiles(Path.Combine(data, "topics", topic, "0"), "*.log").Order().Last();

    private static async Task<long> FillAndCloseAsync(string data, int count)
    {
        await using var store = await LogStore.OpenAsync(LogTestKit.Options(data));
        for (var i = 0; i < count; i++)
        {
            await store.AppendAsync("t", LogTestKit.Text($"record-{i:D5}"));
        }
        await store.FlushAsync();
        return count;
    }

    /// <summary>What a crash leaves: the active segment followed by its allocated, never written zeros, no close.</summary>
    private static long LeaveZeroTail(string data, int zeros)
    {
        var segment = SegmentOf(data);
        var whole = new FileInfo(segment).Length;
        using (var f = File.OpenWrite(segment))
        {
            f.SetLength(whole + zeros);
        }
        File.Delete(Path.Combine(Path.GetDirectoryName(segment)!, "recovery-point"));
        return whole;
    }

    [Fact]
    public async Task A_preallocated_zero_tail_left_by_a_crash_is_the_clean_end_not_corruption()
    {
        using var dir = new TempDir();
        await FillAndCloseAsync(dir.Path, 10);
        var whole = LeaveZeroTail(dir.Path, 1 << 20);
        var segment = SegmentOf(dir.Path);

        var report = await LogVerifier.VerifyAsync(dir.Path, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(report.Ok, string.Join("; ", report.Problems.Select(p => p.Reason)));
        await using (var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path)))
        {
            // Not truncated as a torn tail: the allocation is kept and the next append overwrites it.
            Assert.Equal(whole + (1 << 20), new FileInfo(segment).Length);
            Assert.Empty(store.GetCorruptions());
            var next = await store.AppendAsync("t", LogTestKit.Text("after"));
            await store.WaitForDurableAsync("t", 0, next.LastOffset, TestContext.Current.CancellationToken);
            Assert.Equal(10, next.BaseOffset);
            Assert.Equal(11, (await LogTestKit.ReadAllAsync(store, "t", 0)).Count);
        }
        // A clean close leaves exactly the data: the zero tail is trimmed.
        Assert.True(new FileInfo(segment).Length < whole + 200, $"{new FileInfo(segment).Length} bytes after close");
        Assert.True((await LogVerifier.VerifyAsync(dir.Path, cancellationToken: TestContext.Current.CancellationToken)).Ok);
    }

    [Fact]
    public async Task A_torn_write_into_the_preallocated_tail_is_cut_and_appends_continue_after_the_last_whole_batch()
    {
        using var dir = new TempDir();
        await FillAndCloseAsync(dir.Path, 10);
        var whole = LeaveZeroTail(dir.Path, 64 << 10);
        var segment = SegmentOf(dir.Path);
        // A power cut lost the page holding the next batch's header but kept a later page of it.
        using (var f = File.OpenWrite(segment))
        {
            f.Seek(whole + 5000, SeekOrigin.Begin);
            f.Write([1, 2, 3, 4, 5, 6, 7, 8]);
        }

        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
        Assert.Equal(whole, new FileInfo(segment).Length);
        var next = await store.AppendAsync("t", LogTestKit.Text("after"));
        await store.WaitForDurableAsync("t", 0, next.LastOffset, TestContext.Current.CancellationToken);
        Assert.Equal(10, next.BaseOffset);
        Assert.Equal(11, (await LogTestKit.ReadAllAsync(store, "t", 0)).Count);
    }

    [Fact]
    public async Task The_active_segment_grows_in_allocation_steps_and_a_rolled_segment_is_trimmed_to_its_data()
    {
        using var dir = new TempDir();
        var options = LogTestKit.Options(dir.Path, defaults: d => d.SegmentBytes = 64 << 10);
        options.SegmentPreallocationBytes = 16 << 10;
        var value = new string('x', 1000);
        await using var store = await LogStore.OpenAsync(options);
        var first = await store.AppendAsync("t", LogTestKit.Text(value));
        await store.WaitForDurableAsync("t", 0, first.LastOffset, TestContext.Current.CancellationToken);
        Assert.Equal(16 << 10, new FileInfo(SegmentOf(dir.Path)).Length);

        AppendResult last = first;
        for (var i = 0; i < 100; i++)
        {
            last = await store.AppendAsync("t", LogTestKit.Text(value));
        }
        await store.WaitForDurableAsync("t", 0, last.LastOffset, TestContext.Current.CancellationToken);
        var segments = Directory.EnumerateFiles(Path.Combine(dir.Path, "topics", "t", "0"), "*.log").Order().ToList();
        Assert.True(segments.Count >= 2);
        var sealedLength = new FileInfo(segments[0]).Length;
        Assert.True(sealedLength <= 64 << 10 && sealedLength % (16 << 10) != 0, $"sealed segment of {sealedLength} bytes");
        Assert.Equal(101, (await LogTestKit.ReadAllAsync(store, "t", 0)).Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Commits_land_in_space_already_written_with_zeros_unless_zero_fill_is_off(bool zeroFill)
    {
        using var dir = new TempDir();
        var storage = new FaultyStorage { SegmentWrites = new() };
        var options = LogTestKit.Options(dir.Path);
        options.SegmentZeroFill = zeroFill;
        var value = new string('x', 6000);
        var ct = TestContext.Current.CancellationToken;
        await using (var store = await LogStore.OpenAsync(options, storage, null, null, ct))
        {
            // ~3 MiB committed one batch at a time: past several 1 MiB zero-fill chunks and allocation steps.
            for (var i = 0; i < 500; i++)
            {
                var stored = await store.AppendAsync("t", LogTestKit.Text(value), ct);
                await store.WaitForDurableAsync("t", 0, stored.LastOffset, ct);
            }
        }
        long zeroedBytes = 0;
        var unzeroed = 0;
        var zeroed = new List<(long Start, long End)>();
        var first = true;
        foreach (var (position, length, zeros) in storage.SegmentWrites)
        {
            if (zeros)
            {
                zeroed.Add((position, position + length));
                zeroedBytes += length;
            }
            else if (!first && !Covered(zeroed, position, position + length))
            {
                // The first write of a segment may come before its zeros; every later one must land where zeros went first.
                unzeroed++;
            }
            first = first && zeros;
        }
        if (zeroFill)
        {
            Assert.True(zeroedBytes >= 3 << 20, $"{zeroedBytes} bytes zero-filled");
            // Zeros stay inside the allocation, so only a commit that reaches into a step allocated for it lands in
            // unwritten space: once per step (steps double to 16 MiB), not once per commit.
            Assert.True(unzeroed <= storage.SegmentAllocations, $"{unzeroed} of 499 commits in unwritten space, {storage.SegmentAllocations} allocation steps");
        }
        else
        {
            Assert.Equal(0, zeroedBytes);
            Assert.Equal(499, unzeroed);
        }
        // Zeros never went over data: every record reads back.
        await using var reopened = await LogStore.OpenAsync(LogTestKit.Options(dir.Path), cancellationToken: ct);
        Assert.Equal(500, (await LogTestKit.ReadAllAsync(reopened, "t", 0)).Count(r => r.Text() == value));
    }

    private static bool Covered(List<(long Start, long End)> ranges, long start, long end)
    {
        var reached = start;
        foreach (var (s, e) in ranges.OrderBy(r => r.Start))
        {
            if (s <= reached && e > reached)
            {
                reached = e;
            }
        }
        return reached >= end;
    }

    [Fact]
    public async Task Many_quiet_partitions_take_a_small_first_step_each_and_a_busy_one_grows_to_whole_steps()
    {
        using var dir = new TempDir();
        var options = LogTestKit.Options(dir.Path);
        options.SegmentPreallocationBytes = 16 << 20;
        await using var store = await LogStore.OpenAsync(options);
        for (var i = 0; i < 50; i++)
        {
            var stored = await store.AppendAsync($"device-{i}", LogTestKit.Text("21.5"));
            await store.WaitForDurableAsync($"device-{i}", 0, stored.LastOffset, TestContext.Current.CancellationToken);
        }
        var quiet = Directory.EnumerateFiles(Path.Combine(dir.Path, "topics"), "*.log", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.True(quiet <= 50 * EdgeStream.Log.Segments.Segment.MinPreallocationStep, $"{quiet} bytes allocated for 50 one-record partitions");

        var value = new string('x', 64 << 10);
        AppendResult last = default!;
        for (var i = 0; i < 600; i++)
        {
            last = await store.AppendAsync("busy", LogTestKit.Text(value));
        }
        await store.WaitForDurableAsync("busy", 0, last.LastOffset, TestContext.Current.CancellationToken);
        // ~38 MiB written: past the doublings the file ends on a whole 16 MiB step.
        Assert.Equal(0, new FileInfo(SegmentOf(dir.Path, "busy")).Length % (16 << 20));
    }

    [Fact]
    public async Task A_full_volume_refuses_the_next_allocation_as_a_full_log_and_keeps_every_stored_record()
    {
        using var dir = new TempDir();
        var storage = new FaultyStorage();
        var options = LogTestKit.Options(dir.Path, "always");
        options.SegmentPreallocationBytes = 4096;
        var value = new string('x', 1000);
        await using (var store = await LogStore.OpenAsync(options, storage, null, null, default))
        {
            await store.AppendAsync("t", LogTestKit.Text(value));
            storage.VolumeFull = true;
            // Appends into the allocated step still succeed (its blocks are reserved); the next step is refused.
            var stored = 1;
            LogFullException? full = null;
            for (var i = 0; i < 10 && full is null; i++)
            {
                try
                {
                    await store.AppendAsync("t", LogTestKit.Text(value));
                    stored++;
                }
                catch (LogFullException e)
                {
                    full = e;
                }
            }
            Assert.NotNull(full);
            // Three ~1.1 KB batches fit the first 4 KiB step.
            Assert.Equal(3, stored);
            Assert.Empty(store.GetFailedPartitions());
            storage.VolumeFull = false;
            var resumed = await store.AppendAsync("t", LogTestKit.Text(value));
            Assert.Equal(stored, resumed.BaseOffset);
        }
        await using var reopened = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
        Assert.Equal(4, (await LogTestKit.ReadAllAsync(reopened, "t", 0)).Count);
    }

    [Fact]
    public async Task A_failed_coalesced_write_fails_its_waiters_and_the_partition_reopens_with_every_acknowledged_record()
    {
        using var dir = new TempDir();
        var storage = new FaultyStorage();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path), storage, null, time, default);
        var first = await store.AppendAsync("t", LogTestKit.Text("kept-0"));
        await store.WaitForDurableAsync("t", 0, first.LastOffset, TestContext.Current.CancellationToken);
        storage.FailNextSegmentWriteAfter = 7;
        // Coalesced: the append returns before its bytes are written; the flush's write fails, and so does the wait.
        var lost = await store.AppendAsync("t", LogTestKit.Text("lost"));
        await Assert.ThrowsAsync<PartitionFailedException>(() => store.WaitForDurableAsync("t", 0, lost.LastOffset).AsTask());

        await FailingDiskTests.AdvanceUntilAsync(time, () => store.GetFailedPartitions().Count == 0);
        // Offset 1 was handed out and lost: it is reused, and a wait on it fails (its sender cannot be told apart).
        var reused = await store.AppendAsync("t", LogTestKit.Text("kept-1"));
        Assert.Equal(1, reused.BaseOffset);
        await Assert.ThrowsAsync<PartitionFailedException>(() => store.WaitForDurableAsync("t", 0, reused.LastOffset).AsTask());
        var next = await store.AppendAsync("t", LogTestKit.Text("kept-2"));
        await store.WaitForDurableAsync("t", 0, next.LastOffset, TestContext.Current.CancellationToken);
        Assert.Equal(["kept-0", "kept-1", "kept-2"], (await LogTestKit.ReadAllAsync(store, "t", 0)).Select(r => r.Text()));
    }
}

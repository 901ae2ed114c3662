namespace EdgeStream.Log.Tests;

/// <summary>A Pi without an RTC boots with a wrong clock and NTP later steps it by months, either way.</summary>
public class ClockStepTests
{
    private static readonly TimeSpan Year = TimeSpan.FromDays(365);

    private static LogOptions Options(string dir)
        => LogTestKit.Options(dir, defaults: s =>
        {
            s.SegmentBytes = 4096;
            s.IndexIntervalBytes = 512;
            s.RetentionAge = TimeSpan.FromDays(7);
        });

    private static async Task AppendAsync(LogStore store, string prefix, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await store.AppendAsync("t", LogTestKit.Text($"{prefix}-{i:D4} " + new string('x', 60)));
        }
        await store.FlushAsync();
    }

    [Fact]
    public async Task After_the_wall_clock_steps_a_year_ahead_age_retention_keeps_recent_data_and_ages_it_on_the_monotonic_clock()
    {
        using var dir = new TempDir();
        var clock = new StepClock();
        await using var store = await LogStore.OpenAsync(Options(dir.Path), timeProvider: clock);
        await AppendAsync(store, "before", 300);
        Assert.True(store.GetTopic("t")!.Partitions[0].SegmentCount > 3);

        clock.Step = Year;
        await AppendAsync(store, "after", 10);
        await store.EnforceRetentionAsync();
        Assert.Equal(310, (await LogTestKit.ReadAllAsync(store, "t", 0)).Count);

        clock.Advance(TimeSpan.FromDays(8));
        await store.AppendAsync("t", LogTestKit.Text("fresh"));
        await store.FlushAsync();
        await store.EnforceRetentionAsync();
        var left = await LogTestKit.ReadAllAsync(store, "t", 0);
        Assert.DoesNotContain(left, r => r.Text().StartsWith("before-0000", StringComparison.Ordinal));
        Assert.Equal("fresh", left[^1].Text());
    }

    [Fact]
    public async Task After_the_wall_clock_steps_a_year_back_old_data_still_ages_out_and_new_data_stays()
    {
        using var dir = new TempDir();
        var clock = new StepClock();
        await using var store = await LogStore.OpenAsync(Options(dir.Path), timeProvider: clock);
        await AppendAsync(store, "before", 300);

        clock.Step = -Year;
        clock.Advance(TimeSpan.FromDays(8));
        await AppendAsync(store, "after", 300);
        await store.EnforceRetentionAsync();
        var left = await LogTestKit.ReadAllAsync(store, "t", 0);
        Assert.DoesNotContain(left, r => r.Text().StartsWith("before-0000", StringComparison.Ordinal));
        Assert.Equal(300, left.Count(r => r.Text().StartsWith("after-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Clock_steps_either_way_never_delete_what_a_cursor_still_needs_nor_expire_the_cursor()
    {
        using var dir = new TempDir();
        var clock = new StepClock();
        var options = Options(dir.Path);
        options.CursorIdleExpiry = TimeSpan.FromDays(30);
        await using var store = await LogStore.OpenAsync(options, timeProvider: clock);
        await AppendAsync(store, "before", 300);
        await store.CommitCursorAsync("uplink", "t", 0, 100);

        foreach (var step in new[] { Year, -Year, Year * 2 })
        {
            clock.Step = step;
            await AppendAsync(store, "during", 20);
            await store.EnforceRetentionAsync();
            Assert.Equal(100, store.GetCursor("uplink", "t", 0));
            var left = await LogTestKit.ReadAllAsync(store, "t", 0, from: 100);
            Assert.Equal(100, left[0].Offset);
        }
    }

    [Fact]
    public async Task Time_lookups_stay_correct_when_later_records_carry_earlier_timestamps()
    {
        using var dir = new TempDir();
        var clock = new StepClock();
        await using var store = await LogStore.OpenAsync(Options(dir.Path), timeProvider: clock);
        var t0 = clock.GetUtcNow();
        for (var i = 0; i < 200; i++)
        {
            await store.AppendAsync("t", LogTestKit.Text($"before-{i:D4} " + new string('x', 60)));
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        clock.Step = -Year;
        for (var i = 0; i < 200; i++)
        {
            await store.AppendAsync("t", LogTestKit.Text($"after-{i:D4} " + new string('x', 60)));
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        await store.FlushAsync();

        Assert.Equal(100, store.FindOffset("t", 0, t0 + TimeSpan.FromSeconds(100)));
        Assert.Equal(0, store.FindOffset("t", 0, t0 - TimeSpan.FromDays(1)));
        // The first record at or after a time a year back is the first pre-step one: the earlier-stamped tail
        // does not break the search.
        Assert.Equal(0, store.FindOffset("t", 0, t0 - Year + TimeSpan.FromSeconds(250)));
        Assert.Equal(400, store.FindOffset("t", 0, t0 + TimeSpan.FromDays(1)));
    }
}

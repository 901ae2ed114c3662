using EdgeStream.Ingest.Sensors.Runtime;
using EdgeStream.Ingest.Sensors.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace EdgeStream.Ingest.Sensors.Tests.Ingest;

public sealed class ScheduleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Next_slot_stays_on_the_grid_and_skips_missed_slots()
    {
        var interval = TimeSpan.FromSeconds(10);
        Assert.Equal(T0.AddSeconds(10), Cadence.NextSlot(T0, interval, T0.AddSeconds(3)));
        Assert.Equal(T0.AddSeconds(30), Cadence.NextSlot(T0, interval, T0.AddSeconds(25)));
        Assert.Equal(T0.AddSeconds(20), Cadence.NextSlot(T0, interval, T0.AddSeconds(10)));
    }

    [Fact]
    public void Backoff_doubles_from_one_second_up_to_its_cap()
    {
        var interval = TimeSpan.FromSeconds(5);
        Assert.Equal([1, 2, 4, 8, 16, 30, 30], Enumerable.Range(1, 7).Select(n => Cadence.Backoff(n, interval).TotalSeconds));
        Assert.Equal(120, Cadence.Backoff(20, TimeSpan.FromMinutes(2)).TotalSeconds);
    }

    [Fact]
    public async Task Slow_reads_do_not_make_the_schedule_drift()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new CountingTimeProvider(T0);
        var sensor = new ScriptedSensor(time) { FakeCost = TimeSpan.FromSeconds(3) };
        using var h = new Harness(Harness.Config("s", "bme280"), sensor, time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var loop = h.Runner.RunAsync(stop.Token);

        for (int i = 1; i <= 4; i++)
        {
            await ParkedAfterReadAsync(time, sensor, i, ct);
            time.Advance(TimeSpan.FromSeconds(7));
        }
        await ParkedAfterReadAsync(time, sensor, 5, ct);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);

        // Each read costs 3 s; a loop that slept "interval after the read" would read at 0, 13, 26 …
        Assert.Equal([0, 10, 20, 30, 40], sensor.ReadTimes.Select(t => (t - T0).TotalSeconds));
        Assert.Equal(5, h.Drain().Count);
    }

    [Fact]
    public async Task Failed_reads_are_retried_with_backoff_then_the_sensor_rejoins_its_grid()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new CountingTimeProvider(T0);
        var sensor = new ScriptedSensor(time) { FailuresLeft = 3 };
        using var h = new Harness(Harness.Config("s", "bme280"), sensor, time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var loop = h.Runner.RunAsync(stop.Token);

        int expected = 1;
        await ParkedAfterReadAsync(time, sensor, expected, ct);
        foreach (int step in new[] { 1, 2, 4, 3, 10 })
        {
            time.Advance(TimeSpan.FromSeconds(step));
            expected++;
            await ParkedAfterReadAsync(time, sensor, expected, ct);
        }
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);

        // Failures at 0, 1, 3; success at 7 (after 1 s, 2 s, 4 s); then the 10 s grid resumes at 10 and 20.
        Assert.Equal([0, 1, 3, 7, 10, 20], sensor.ReadTimes.Select(t => (t - T0).TotalSeconds));
        Assert.Equal(3, h.ErrorCount());
        Assert.Equal(3, h.Drain().Count);
    }

    [Fact]
    public async Task Reads_on_one_bus_never_overlap()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(T0);
        var sameBus = new ConcurrencyProbe();
        var otherBuses = new ConcurrencyProbe();
        var busLock = new SemaphoreSlim(1, 1);
        var cost = TimeSpan.FromMilliseconds(15);
        using var a = new Harness(Harness.Config("a", "bme280"), new ScriptedSensor(time, sameBus) { RealCost = cost }, time, busLock);
        using var b = new Harness(Harness.Config("b", "sht3x"), new ScriptedSensor(time, sameBus) { RealCost = cost }, time, busLock);
        using var c = new Harness(Harness.Config("c", "bme280"), new ScriptedSensor(time, otherBuses) { RealCost = cost }, time, new SemaphoreSlim(1, 1));
        using var d = new Harness(Harness.Config("d", "sht3x"), new ScriptedSensor(time, otherBuses) { RealCost = cost }, time, new SemaphoreSlim(1, 1));

        async Task PollAsync(Harness h)
        {
            await Task.Yield();
            for (int i = 0; i < 6; i++)
            {
                await h.Runner.PollOnceAsync(ct);
            }
        }

        await Task.WhenAll(PollAsync(a), PollAsync(b), PollAsync(c), PollAsync(d));

        Assert.Equal(1, sameBus.Max);
        // Sensors on different buses do overlap, which shows the probe would have seen an overlap on one bus.
        Assert.Equal(2, otherBuses.Max);
    }

    /// <summary>
    /// Waits until the runner has made read number <paramref name="reads"/> and parked on its next delay (each read is
    /// followed by one <c>Task.Delay</c> on the clock, i.e. one timer), so the next <c>Advance</c> is the one it sees.
    /// </summary>
    private static Task ParkedAfterReadAsync(CountingTimeProvider time, ScriptedSensor sensor, int reads, CancellationToken ct)
        => Poll.UntilAsync(() => sensor.Reads == reads && time.TimersCreated >= reads, what: $"read {reads} and the runner parked", cancellationToken: ct);
}

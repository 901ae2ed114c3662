using System.Device.Gpio;
using System.Threading.Channels;
using EdgeStream.FirmwareSim.Chips.Gpio;
using EdgeStream.Ingest.Sensors.Diagnostics;
using EdgeStream.Ingest.Sensors.Gpio;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Readings;
using EdgeStream.Ingest.Sensors.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeStream.Ingest.Sensors.Tests.Ingest;

public sealed class GpioSourceTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly CountingTimeProvider _time = new(T0);
    private readonly SimulatedGpioDriver _driver = new();
    private readonly GpioController _controller;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly SensorMetrics _metrics;
    private readonly Channel<SensorReading> _queue = Channel.CreateUnbounded<SensorReading>();
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    public GpioSourceTests()
    {
        _controller = new GpioController(_driver);
        _metrics = new SensorMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        _controller.Dispose();
        _services.Dispose();
    }

    private List<SensorReading> Drain()
    {
        var list = new List<SensorReading>();
        while (_queue.Reader.TryRead(out var r))
        {
            list.Add(r);
        }
        return list;
    }

    /// <summary>
    /// Waits until <paramref name="count"/> readings have arrived and the source has created <paramref name="timers"/>
    /// timers on the clock in all (its debounce timer, then one per parked delay), i.e. has gone back to sleep.
    /// </summary>
    private async Task<List<SensorReading>> WaitForAsync(int count, int timers = 0)
    {
        var seen = new List<SensorReading>();
        await Poll.UntilAsync(() =>
        {
            seen.AddRange(Drain());
            return seen.Count >= count && _time.TimersCreated >= timers;
        }, what: $"{count} readings and {timers} timers", cancellationToken: TestContext.Current.CancellationToken);
        seen.AddRange(Drain());
        return seen;
    }

    [Fact]
    public async Task Contact_bounce_is_published_as_one_change_after_the_debounce_time()
    {
        var options = Harness.Config("door", SensorTypes.GpioInput, o =>
        {
            o.Pin = 17;
            o.Debounce = TimeSpan.FromMilliseconds(20);
            o.MaxSilence = TimeSpan.FromMinutes(5);
        });
        var source = new GpioInputSource(options, _controller, _queue.Writer, _metrics, NullLogger.Instance, _time);
        var run = source.RunAsync(_stop.Token);
        // Timers: the debounce timer, then the first wait of the silence loop.
        var initial = Assert.Single(await WaitForAsync(1, timers: 2));
        Assert.Equal(1, initial.Quantities[0].Value);

        _time.Advance(TimeSpan.FromSeconds(1));
        _driver.Bounce(17, PinValue.Low, bounces: 4);
        _time.Advance(TimeSpan.FromMilliseconds(5));
        _driver.SetInput(17, PinValue.High);
        _driver.SetInput(17, PinValue.Low);
        _time.Advance(TimeSpan.FromMilliseconds(19));
        Assert.Empty(Drain());

        _time.Advance(TimeSpan.FromMilliseconds(1));

        var change = Assert.Single(Drain());
        Assert.Equal(0, change.Quantities[0].Value);
        Assert.Equal(T0.AddSeconds(1).AddMilliseconds(5), change.Timestamp);
        Assert.Equal(1, source.Changes);
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task A_glitch_shorter_than_the_debounce_is_not_a_change()
    {
        var options = Harness.Config("button", SensorTypes.GpioInput, o =>
        {
            o.Pin = 4;
            o.Debounce = TimeSpan.FromMilliseconds(20);
            o.PollInterval = TimeSpan.FromSeconds(10);
            o.MaxSilence = TimeSpan.FromSeconds(60);
        });
        var source = new GpioInputSource(options, _controller, _queue.Writer, _metrics, NullLogger.Instance, _time);
        var run = source.RunAsync(_stop.Token);
        await WaitForAsync(1, timers: 2);

        _driver.SetInput(4, PinValue.Low);
        _time.Advance(TimeSpan.FromMilliseconds(10));
        _driver.SetInput(4, PinValue.High);
        _time.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Empty(Drain());
        Assert.Equal(0, source.Changes);

        // The unchanged state is republished once MaxSilence has passed.
        for (int i = 0; i < 6; i++)
        {
            await _time.AdvanceAndWaitParkedAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }
        var heartbeat = Assert.Single(await WaitForAsync(1));
        Assert.Equal(1, heartbeat.Quantities[0].Value);
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task Pulse_counter_publishes_count_and_rate_on_change_and_periodically()
    {
        var options = Harness.Config("water", SensorTypes.PulseCounter, o =>
        {
            o.Pin = 22;
            o.PollInterval = TimeSpan.FromSeconds(10);
            o.MaxSilence = TimeSpan.FromSeconds(30);
            o.Debounce = TimeSpan.FromMilliseconds(2);
        });
        var source = new PulseCounterSource(options, _controller, _queue.Writer, _metrics, _time);
        var run = source.RunAsync(_stop.Token);
        await WaitForAsync(1, timers: 1);

        // 50 pulses 200 ms apart (5 Hz), each followed by a 1 ms glitch pulse the debounce must ignore.
        for (int i = 0; i < 50; i++)
        {
            _driver.Pulse(22);
            _time.Advance(TimeSpan.FromMilliseconds(1));
            _driver.Pulse(22);
            _time.Advance(TimeSpan.FromMilliseconds(199));
        }
        var window = Assert.Single(await WaitForAsync(1, timers: 2));
        Assert.Equal(50, window.Quantities[0].Value);
        Assert.Equal(("rate", "Hz"), (window.Quantities[1].Name, window.Quantities[1].Unit));
        Assert.Equal(5.0, window.Quantities[1].Value, 6);

        // No pulses: nothing until MaxSilence (30 s) has passed, then the unchanged count with rate 0. The source wakes
        // twice and goes back to sleep (a new timer each time) without publishing: a positive proof that it stayed silent.
        await _time.AdvanceAndWaitParkedAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await _time.AdvanceAndWaitParkedAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Empty(Drain());
        _time.Advance(TimeSpan.FromSeconds(10));
        var periodic = Assert.Single(await WaitForAsync(1));
        Assert.Equal(50, periodic.Quantities[0].Value);
        Assert.Equal(0, periodic.Quantities[1].Value);
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }
}

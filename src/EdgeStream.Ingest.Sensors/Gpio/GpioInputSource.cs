using System.Device.Gpio;
using System.Threading.Channels;
using EdgeStream.Ingest.Sensors.Diagnostics;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Readings;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Ingest.Sensors.Gpio;

/// <summary>
/// A digital input (door contact, button). Every edge restarts a debounce timer; when the timer expires the level
/// is read and, if it differs from the last stable level, published with the time of the last edge. The stable
/// state is also republished whenever <c>MaxSilence</c> passes without a change. Thread-safe: edge callbacks,
/// the timer and the heartbeat loop share one lock.
/// </summary>
internal sealed class GpioInputSource(
    SensorOptions options,
    GpioController controller,
    ChannelWriter<SensorReading> output,
    SensorMetrics metrics,
    ILogger logger,
    TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly int _pin = options.Pin!.Value;
    private PinValue _stable;
    private DateTimeOffset _lastEdge;
    private DateTimeOffset _lastPublish;
    private ITimer? _debounce;

    /// <summary>Debounced changes published so far.</summary>
    public int Changes { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        controller.OpenPin(_pin, GpioPins.InputMode(options));
        using var debounce = time.CreateTimer(_ => Settle(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        lock (_gate)
        {
            _debounce = debounce;
            _stable = controller.Read(_pin);
        }
        controller.RegisterCallbackForPinValueChangedEvent(_pin, PinEventTypes.Rising | PinEventTypes.Falling, OnEdge);
        lock (_gate)
        {
            // The initial state is published once edges are being watched, so no change can fall between the two.
            Publish(_stable, time.GetUtcNow());
        }
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(options.PollInterval, time, cancellationToken).ConfigureAwait(false);
                lock (_gate)
                {
                    if (time.GetUtcNow() - _lastPublish >= options.MaxSilence)
                    {
                        Publish(_stable, time.GetUtcNow());
                    }
                }
            }
        }
        finally
        {
            controller.UnregisterCallbackForPinValueChangedEvent(_pin, OnEdge);
            controller.ClosePin(_pin);
            lock (_gate)
            {
                _debounce = null;
            }
        }
    }

    private void OnEdge(object sender, PinValueChangedEventArgs e)
    {
        lock (_gate)
        {
            _lastEdge = time.GetUtcNow();
            if (options.Debounce <= TimeSpan.Zero)
            {
                SettleLocked();
                return;
            }
            _debounce?.Change(options.Debounce, Timeout.InfiniteTimeSpan);
        }
    }

    private void Settle()
    {
        lock (_gate)
        {
            SettleLocked();
        }
    }

    private void SettleLocked()
    {
        var level = controller.Read(_pin);
        if (level != _stable)
        {
            _stable = level;
            Changes++;
            Publish(level, _lastEdge);
        }
    }

    private void Publish(PinValue level, DateTimeOffset at)
    {
        _lastPublish = time.GetUtcNow();
        var reading = new SensorReading(options.Name, options.Kind, at, [new ReadingQuantity("state", level == PinValue.High ? 1 : 0, "")]);
        metrics.ReadSucceeded(options.Name);
        if (!output.TryWrite(reading))
        {
            metrics.ReadingDropped(options.Name);
            SensorLog.QueueFull(logger, options.Name);
        }
    }
}

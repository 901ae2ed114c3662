using System.Device.Gpio;
using System.Threading.Channels;
using EdgeStream.Ingest.Sensors.Diagnostics;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Readings;
using EdgeStream.Ingest.Sensors.Runtime;
using UnitsNet;

namespace EdgeStream.Ingest.Sensors.Gpio;

/// <summary>
/// Counts rising edges (flow meter, energy meter); edges closer than <c>Debounce</c> to the last counted one are
/// glitches and ignored. Every <c>PollInterval</c> (on a fixed grid) the count and the rate over that window are
/// published if the count changed, or if <c>MaxSilence</c> passed. Thread-safe: the edge callback and the loop
/// share one lock.
/// </summary>
internal sealed class PulseCounterSource(
    SensorOptions options,
    GpioController controller,
    ChannelWriter<SensorReading> output,
    SensorMetrics metrics,
    TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly int _pin = options.Pin!.Value;
    private long _count;
    private DateTimeOffset? _lastPulse;

    public long Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        controller.OpenPin(_pin, GpioPins.InputMode(options));
        controller.RegisterCallbackForPinValueChangedEvent(_pin, PinEventTypes.Rising, OnRising);
        try
        {
            var windowStart = time.GetUtcNow();
            var scheduled = windowStart;
            long windowStartCount = 0;
            // The starting point is published once pulses are being counted.
            await output.WriteAsync(Reading(windowStart, 0, 0), cancellationToken).ConfigureAwait(false);
            long publishedCount = 0;
            DateTimeOffset lastPublish = windowStart;
            while (!cancellationToken.IsCancellationRequested)
            {
                scheduled = Cadence.NextSlot(scheduled, options.PollInterval, time.GetUtcNow());
                var wait = scheduled - time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
                }
                var now = time.GetUtcNow();
                long count = Count;
                double seconds = (now - windowStart).TotalSeconds;
                double rate = seconds > 0 ? (count - windowStartCount) / seconds : 0;
                windowStart = now;
                windowStartCount = count;
                metrics.ReadSucceeded(options.Name);
                if (publishedCount == count && now - lastPublish < options.MaxSilence)
                {
                    continue;
                }
                publishedCount = count;
                lastPublish = now;
                await output.WriteAsync(Reading(now, count, rate), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            controller.UnregisterCallbackForPinValueChangedEvent(_pin, OnRising);
            controller.ClosePin(_pin);
        }
    }

    private SensorReading Reading(DateTimeOffset at, long count, double rateHz)
        => new(options.Name, options.Kind, at, [new ReadingQuantity("count", count, ""), ReadingQuantity.From("rate", Frequency.FromHertz(rateHz))]);

    private void OnRising(object sender, PinValueChangedEventArgs e)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_lastPulse is { } last && options.Debounce > TimeSpan.Zero && now - last < options.Debounce)
            {
                return;
            }
            _lastPulse = now;
            _count++;
        }
    }
}

using System.Device.Gpio;
using EdgeStream.FirmwareSim.Chips.Signals;

namespace EdgeStream.FirmwareSim.Chips.Gpio;

/// <summary>
/// Demo drivers for simulated inputs: a pulse train whose rate follows a signal (a flow meter) and a contact that
/// changes state now and then (a door). Both run until cancelled, timed by a <see cref="TimeProvider"/>.
/// </summary>
public static class GpioStimulus
{
    private static readonly TimeSpan PulseTick = TimeSpan.FromMilliseconds(250);

    /// <summary>Emits pulses on <paramref name="pin"/> at <paramref name="rateHz"/> (sampled each 250 ms) until cancelled.</summary>
    public static async Task RunPulseTrainAsync(SimulatedGpioDriver driver, int pin, Signal rateHz, TimeProvider time, CancellationToken cancellationToken)
    {
        double carry = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(PulseTick, time, cancellationToken).ConfigureAwait(false);
            // Fractional pulses carry over so slow rates still produce pulses.
            carry += Math.Max(0, rateHz.Sample(time.GetUtcNow())) * PulseTick.TotalSeconds;
            int whole = (int)carry;
            carry -= whole;
            driver.Pulse(pin, whole);
        }
    }

    /// <summary>Flips <paramref name="pin"/> at random intervals averaging <paramref name="meanInterval"/>, with contact bounce.</summary>
    public static async Task RunContactAsync(SimulatedGpioDriver driver, int pin, TimeSpan meanInterval, int seed, TimeProvider time, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        PinValue state = PinValue.High;
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = TimeSpan.FromTicks((long)(meanInterval.Ticks * (0.5 + random.NextDouble())));
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            state = !state;
            driver.Bounce(pin, state, bounces: random.Next(0, 4));
        }
    }
}

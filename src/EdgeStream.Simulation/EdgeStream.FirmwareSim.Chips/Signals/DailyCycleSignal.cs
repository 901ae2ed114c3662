namespace EdgeStream.FirmwareSim.Chips.Signals;

/// <summary>
/// A day-shaped signal for demos: <c>mean + amplitude·cos(2π(hour − peakHour)/24)</c> plus Gaussian noise from a
/// seeded generator, clamped to [min, max]. The same seed and sample times give the same values. Thread-safe.
/// </summary>
public sealed class DailyCycleSignal : Signal
{
    private readonly double _mean;
    private readonly double _amplitude;
    private readonly double _peakHourUtc;
    private readonly double _noise;
    private readonly double _min;
    private readonly double _max;
    private readonly Random _random;
    private readonly Lock _gate = new();

    /// <summary>Creates the signal.</summary>
    public DailyCycleSignal(double mean, double amplitude, double peakHourUtc, double noiseStdDev, int seed, double min = double.MinValue, double max = double.MaxValue)
    {
        _mean = mean;
        _amplitude = amplitude;
        _peakHourUtc = peakHourUtc;
        _noise = noiseStdDev;
        _min = min;
        _max = max;
        _random = new Random(seed);
    }

    /// <inheritdoc />
    public override double Sample(DateTimeOffset time)
    {
        double hour = time.UtcDateTime.TimeOfDay.TotalHours;
        double cycle = _mean + _amplitude * Math.Cos(2 * Math.PI * (hour - _peakHourUtc) / 24.0);
        double noise;
        lock (_gate)
        {
            // Box-Muller: two uniform samples make one standard normal sample.
            double u1 = 1.0 - _random.NextDouble();
            double u2 = _random.NextDouble();
            noise = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
        return Math.Clamp(cycle + noise * _noise, _min, _max);
    }
}

namespace EdgeStream.FirmwareSim.Fleet;

/// <summary>
/// Produces plausible, seeded readings for one device: mean-reverting random walks around a per-device climate,
/// a slowly draining battery and a jittery radio. Not thread-safe (one per device).
/// </summary>
internal sealed class TelemetryGenerator
{
    private readonly Random _random;
    private readonly string _device;
    private readonly double _baseTemperature;
    private readonly double _baseHumidity;
    private double _temperature;
    private double _humidity;
    private double _pressure;
    private double _battery;
    private long _sequence;

    public TelemetryGenerator(string device, int seed)
    {
        _device = device;
        _random = new Random(seed);
        _baseTemperature = 18 + (_random.NextDouble() * 7);
        _baseHumidity = 40 + (_random.NextDouble() * 20);
        _temperature = _baseTemperature;
        _humidity = _baseHumidity;
        _pressure = 101_325 + ((_random.NextDouble() - 0.5) * 1_000);
        _battery = 3.9 + (_random.NextDouble() * 0.25);
    }

    /// <summary>The sequence number the next reading gets.</summary>
    public long NextSequence => _sequence;

    public TelemetryReading Next(DateTimeOffset now)
    {
        // Mean reversion keeps long runs inside the sensor's believable range.
        _temperature += (0.02 * (_baseTemperature - _temperature)) + Gaussian(0.05);
        _humidity = Math.Clamp(_humidity + (0.02 * (_baseHumidity - _humidity)) + Gaussian(0.2), 0, 100);
        _pressure += (0.01 * (101_325 - _pressure)) + Gaussian(3);
        _battery = Math.Max(3.3, _battery - 0.00005);
        var rssi = -67 + (int)Math.Round(Gaussian(4));
        var ms = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
        return new TelemetryReading(_device, _sequence++, ms, Math.Round(_temperature, 2), Math.Round(_humidity, 2),
            Math.Round(_pressure, 1), Math.Round(_battery, 3), Math.Clamp(rssi, -120, -20));
    }

    private double Gaussian(double sigma)
    {
        // Box-Muller; 1 - NextDouble() avoids log(0).
        var u1 = 1 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

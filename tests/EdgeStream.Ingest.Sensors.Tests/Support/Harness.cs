using System.Diagnostics.Metrics;
using System.Threading.Channels;
using EdgeStream.Ingest.Sensors.Diagnostics;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Readings;
using EdgeStream.Ingest.Sensors.Runtime;
using EdgeStream.Ingest.Sensors.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeStream.Ingest.Sensors.Tests.Support;

/// <summary>One sensor wired to a runner, a queue, a private meter and a fake clock.</summary>
internal sealed class Harness : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public Harness(SensorOptions options, IPolledSensor sensor, FakeTimeProvider? time = null, SemaphoreSlim? busLock = null)
    {
        Options = options;
        Sensor = sensor;
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero));
        Metrics = new SensorMetrics(_services.GetRequiredService<IMeterFactory>());
        Errors = new MetricCollector<long>(Metrics.Meter, SensorMetrics.ReadErrors);
        Runner = new PolledSensorRunner(options, sensor, busLock ?? new SemaphoreSlim(1, 1), Queue.Writer, Metrics, NullLogger.Instance, Time);
    }

    public SensorOptions Options { get; }

    public IPolledSensor Sensor { get; }

    public FakeTimeProvider Time { get; }

    public SensorMetrics Metrics { get; }

    public MetricCollector<long> Errors { get; }

    public Channel<SensorReading> Queue { get; } = Channel.CreateUnbounded<SensorReading>();

    public PolledSensorRunner Runner { get; }

    public List<SensorReading> Drain()
    {
        var readings = new List<SensorReading>();
        while (Queue.Reader.TryRead(out var r))
        {
            readings.Add(r);
        }
        return readings;
    }

    public long ErrorCount(string? reason = null)
        => Errors.GetMeasurementSnapshot().Where(m => reason is null || Equals(m.Tags["reason"], reason)).Sum(m => m.Value);

    public void Dispose()
    {
        Errors.Dispose();
        Sensor.Dispose();
        _services.Dispose();
    }

    public static SensorOptions Config(string name, string type, Action<SensorOptions>? configure = null)
    {
        var options = new SensorOptions { Name = name, Type = type, Driver = "simulated", PollInterval = TimeSpan.FromSeconds(10) };
        configure?.Invoke(options);
        return options;
    }
}

using System.Text;
using System.Threading.Channels;
using EdgeStream.Ingest.Sensors.Diagnostics;
using EdgeStream.Ingest.Sensors.Gpio;
using EdgeStream.Ingest.Sensors.Hardware;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Readings;
using EdgeStream.Log;
using EdgeStream.Log.Ingest;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStream.Ingest.Sensors.Runtime;

/// <summary>
/// The sensor ingest stage: one loop per configured source produces readings into a bounded queue, and one writer
/// serializes them and appends them to their log topics. A sensor's failures stay inside its own loop; a failed
/// append is logged and counted and the writer moves on (the log reports why, e.g. a full disk). Readings are keyed
/// records tagged <c>content-type: application/json</c>, appended through the <c>sensors</c> ingest writer; nothing is
/// acknowledged to a sensor, so the writer does not wait for durability.
/// </summary>
internal sealed class SensorIngestService(
    IOptions<SensorIngestOptions> options,
    HardwareSelector hardware,
    [FromKeyedServices(SensorIngestService.IngestSource)] IIngestWriter log,
    BusLocks busLocks,
    SensorMetrics metrics,
    ILoggerFactory loggerFactory,
    TimeProvider time) : BackgroundService
{
    /// <summary>The ingest source name of the sensors' log writer (metrics tag <c>source</c>; its DI key).</summary>
    public const string IngestSource = "sensors";

    private static readonly RecordHeader[] JsonHeaders = [new("content-type", Encoding.UTF8.GetBytes("application/json"))];
    private readonly ILogger _logger = loggerFactory.CreateLogger("EdgeStream.Ingest.Sensors");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sensors = options.Value.Sensors;
        var queue = Channel.CreateBounded<SensorReading>(new BoundedChannelOptions(1024) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        var byName = sensors.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var writer = WriteAsync(queue.Reader, byName, stoppingToken);
        SensorLog.IngestStarted(_logger, sensors.Count);
        foreach (var sensor in sensors)
        {
            metrics.Known(sensor.Name, sensor.Kind, sensor.Simulated ? "simulated" : "real", sensor.Topic);
        }
        try
        {
            await Task.WhenAll(sensors.Select(s => RunSourceAsync(s, queue.Writer, stoppingToken))).ConfigureAwait(false);
        }
        finally
        {
            queue.Writer.TryComplete();
            await writer.ConfigureAwait(false);
        }
    }

    private async Task RunSourceAsync(SensorOptions sensor, ChannelWriter<SensorReading> queue, CancellationToken cancellationToken)
    {
        // Leave the caller's thread at once: some bindings block while they wait for a conversion.
        await Task.Yield();
        var devices = hardware.For(sensor);
        SensorLog.SensorStarted(_logger, sensor.Name, sensor.Kind, sensor.Simulated ? "simulated" : "real", sensor.PollInterval, sensor.Topic);
        int crashes = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = time.GetTimestamp();
            try
            {
                await RunSourceOnceAsync(sensor, devices, queue, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A source that cannot even start (GPIO chip missing, pin busy) must not stop the other sensors: it
                // is counted, logged and started again with backoff. Its stack trace is logged once per streak: an
                // unplugged sensor fails at every restart for as long as the box runs. A run that outlasted the
                // longest backoff had recovered, so its failure starts a new streak.
                if (time.GetElapsedTime(started) >= Cadence.Backoff(int.MaxValue, sensor.PollInterval))
                {
                    crashes = 0;
                }
                crashes++;
                var retryIn = Cadence.Backoff(crashes, sensor.PollInterval);
                metrics.ReadFailed(sensor.Name, "error");
                if (crashes == 1)
                {
                    SensorLog.SourceFailed(_logger, e, sensor.Name, retryIn);
                }
                else
                {
                    SensorLog.SourceFailedAgain(_logger, e, sensor.Name, retryIn);
                }
                try
                {
                    await Task.Delay(retryIn, time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task RunSourceOnceAsync(SensorOptions sensor, ISensorHardware devices, ChannelWriter<SensorReading> queue, CancellationToken cancellationToken)
    {
        switch (sensor.Kind)
        {
            case SensorTypes.GpioInput:
            case SensorTypes.PulseCounter:
                await (sensor.Kind == SensorTypes.GpioInput
                    ? new GpioInputSource(sensor, devices.Gpio(sensor), queue, metrics, _logger, time).RunAsync(cancellationToken)
                    : new PulseCounterSource(sensor, devices.Gpio(sensor), queue, metrics, time).RunAsync(cancellationToken)).ConfigureAwait(false);
                break;
            default:
                using (var polled = SensorFactory.CreatePolled(sensor, devices))
                {
                    var runner = new PolledSensorRunner(sensor, polled, busLocks.For(polled.BusKey), queue, metrics, _logger, time);
                    await runner.RunAsync(cancellationToken).ConfigureAwait(false);
                }
                break;
        }
    }

    private async Task WriteAsync(ChannelReader<SensorReading> queue, Dictionary<string, SensorOptions> sensors, CancellationToken cancellationToken)
    {
        var keys = sensors.ToDictionary(p => p.Key, p => Encoding.UTF8.GetBytes(p.Value.Key), StringComparer.Ordinal);
        try
        {
            await foreach (var reading in queue.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var sensor = sensors[reading.Sensor];
                try
                {
                    byte[] value = ReadingJson.Serialize(reading, sensor.Tags);
                    await log.AppendAsync(sensor.Topic, new LogRecord(value, keys[reading.Sensor], reading.Timestamp, JsonHeaders), cancellationToken).ConfigureAwait(false);
                    metrics.RecordAppended(reading.Sensor);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    metrics.ReadingDropped(reading.Sensor);
                    SensorLog.AppendFailed(_logger, e, reading.Sensor, sensor.Topic);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: readings still queued are not written.
        }
    }
}

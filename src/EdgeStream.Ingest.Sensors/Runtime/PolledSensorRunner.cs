using System.Threading.Channels;
using EdgeStream.Ingest.Sensors.Diagnostics;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Readings;
using EdgeStream.Ingest.Sensors.Sources;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Ingest.Sensors.Runtime;

/// <summary>What one poll did.</summary>
internal enum PollOutcome
{
    Published,
    Suppressed,
    Failed,
}

/// <summary>
/// Reads one polled sensor on its schedule and hands publishable readings to the writer. A failed read is logged,
/// counted and retried with backoff; it never produces a reading. After recovery the sensor rejoins its original
/// grid (<see cref="Cadence.NextSlot"/>). Not thread-safe: one loop per sensor.
/// </summary>
internal sealed class PolledSensorRunner(
    SensorOptions options,
    IPolledSensor sensor,
    SemaphoreSlim busLock,
    ChannelWriter<SensorReading> output,
    SensorMetrics metrics,
    ILogger logger,
    TimeProvider time)
{
    private readonly DeadbandFilter _filter = new(options.Deadband, options.MaxSilence);
    private IReadOnlyList<ReadingQuantity>? _previous;
    private int _identical;

    public int ConsecutiveFailures { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var scheduled = time.GetUtcNow();
        var due = scheduled;
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = due - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            }
            var outcome = await PollOnceAsync(cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            if (outcome == PollOutcome.Failed)
            {
                due = now + Cadence.Backoff(ConsecutiveFailures, options.PollInterval);
                continue;
            }
            scheduled = Cadence.NextSlot(scheduled, options.PollInterval, now);
            due = scheduled;
        }
    }

    /// <summary>One read: under the bus lock, validated, filtered, and queued for the log if it is worth publishing.</summary>
    public async Task<PollOutcome> PollOnceAsync(CancellationToken cancellationToken)
    {
        var readAt = time.GetUtcNow();
        IReadOnlyList<ReadingQuantity> quantities;
        try
        {
            await busLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                quantities = await sensor.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                busLock.Release();
            }
            CheckNotStuck(quantities);
        }
        catch (SensorReadException e)
        {
            Fail(e.Reason, e.Message);
            return PollOutcome.Failed;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A binding failing in a way nobody foresaw must not stop the other sensors or this one's retries.
            Fail("error", $"{e.GetType().Name}: {e.Message}");
            return PollOutcome.Failed;
        }

        if (ConsecutiveFailures > 0)
        {
            SensorLog.Recovered(logger, options.Name, ConsecutiveFailures);
            ConsecutiveFailures = 0;
        }
        metrics.ReadSucceeded(options.Name);
        if (!_filter.ShouldPublish(quantities, readAt))
        {
            return PollOutcome.Suppressed;
        }
        await output.WriteAsync(new SensorReading(options.Name, options.Kind, readAt, quantities), cancellationToken).ConfigureAwait(false);
        return PollOutcome.Published;
    }

    private void CheckNotStuck(IReadOnlyList<ReadingQuantity> quantities)
    {
        if (options.StuckAfter <= 0)
        {
            return;
        }
        _identical = _previous is not null && _previous.SequenceEqual(quantities) ? _identical + 1 : 0;
        _previous = quantities;
        if (_identical >= options.StuckAfter)
        {
            throw new SensorReadException(SensorReadException.Stuck, $"{_identical + 1} identical readings in a row: the sensor is not converting.");
        }
    }

    private void Fail(string reason, string detail)
    {
        ConsecutiveFailures++;
        metrics.ReadFailed(options.Name, reason, detail);
        SensorLog.ReadFailed(logger, options.Name, reason, ConsecutiveFailures, Cadence.Backoff(ConsecutiveFailures, options.PollInterval), detail);
    }
}

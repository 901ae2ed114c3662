using EdgeStream.Ingest.Sensors.Readings;
using EdgeStream.Ingest.Sensors.Sources;
using Microsoft.Extensions.Time.Testing;

namespace EdgeStream.Ingest.Sensors.Tests.Support;

/// <summary>A polled sensor whose behaviour a test scripts: read cost (fake or real time) and failures.</summary>
internal sealed class ScriptedSensor(FakeTimeProvider time, ConcurrencyProbe? probe = null, string busKey = "i2c-1") : IPolledSensor
{
    private readonly ConcurrencyProbe _probe = probe ?? new ConcurrencyProbe();
    private int _value;

    public string BusKey => busKey;

    public List<DateTimeOffset> ReadTimes { get; } = [];

    /// <summary>Fake time a read takes.</summary>
    public TimeSpan FakeCost { get; set; }

    /// <summary>Real time a read takes (to expose overlapping reads).</summary>
    public TimeSpan RealCost { get; set; }

    public int FailuresLeft { get; set; }

    public async ValueTask<IReadOnlyList<ReadingQuantity>> ReadAsync(CancellationToken cancellationToken)
    {
        lock (ReadTimes)
        {
            ReadTimes.Add(time.GetUtcNow());
        }
        _probe.Enter();
        try
        {
            if (RealCost > TimeSpan.Zero)
            {
                // Simulated work (a read that takes real time, so overlapping reads can be seen), not synchronisation.
                await Task.Delay(RealCost, cancellationToken);
            }
            if (FakeCost > TimeSpan.Zero)
            {
                time.Advance(FakeCost);
            }
            if (FailuresLeft > 0)
            {
                FailuresLeft--;
                throw new SensorReadException(SensorReadException.Io, "scripted failure");
            }
            return [new ReadingQuantity("n", Interlocked.Increment(ref _value), "")];
        }
        finally
        {
            _probe.Exit();
        }
    }

    public int Reads
    {
        get
        {
            lock (ReadTimes)
            {
                return ReadTimes.Count;
            }
        }
    }

    public void Dispose()
    {
    }
}

/// <summary>Counts reads in progress across the sensors that share it.</summary>
internal sealed class ConcurrencyProbe
{
    private int _current;
    private int _max;

    public int Max => Volatile.Read(ref _max);

    public void Enter()
    {
        int now = Interlocked.Increment(ref _current);
        int seen;
        while (now > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, seen) != seen)
        {
        }
    }

    public void Exit() => Interlocked.Decrement(ref _current);
}

using System.Collections.Concurrent;

namespace EdgeStream.Ingest.Sensors.Diagnostics;

/// <summary>
/// The live state of each configured sensor for the status page and <c>/api/status</c> (section <c>sensors</c>):
/// what it is, how its reads go and when it last produced a reading. Updated by the sensor loops; thread-safe.
/// </summary>
public sealed class SensorStatusBoard(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _sensors = new(StringComparer.Ordinal);

    /// <summary>Every configured sensor, in name order.</summary>
    public IReadOnlyList<SensorStatus> Snapshot()
        => [.. _sensors.Values.OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => e.ToStatus())];

    internal void Known(string name, string type, string driver, string topic)
        => _sensors.TryAdd(name, new Entry(name, type, driver, topic));

    internal void ReadSucceeded(string name)
    {
        if (_sensors.TryGetValue(name, out var e))
        {
            lock (e)
            {
                e.Reads++;
                e.LastReadAt = time.GetUtcNow();
                e.Failing = false;
            }
        }
    }

    internal void ReadFailed(string name, string reason)
    {
        if (_sensors.TryGetValue(name, out var e))
        {
            lock (e)
            {
                e.Errors++;
                e.LastError = reason;
                e.Failing = true;
            }
        }
    }

    internal void RecordAppended(string name)
    {
        if (_sensors.TryGetValue(name, out var e))
        {
            Interlocked.Increment(ref e.Records);
        }
    }

    private sealed class Entry(string name, string type, string driver, string topic)
    {
        public string Name { get; } = name;
        public long Reads;
        public long Errors;
        public long Records;
        public DateTimeOffset? LastReadAt;
        public string? LastError;
        public bool Failing;

        public SensorStatus ToStatus()
        {
            lock (this)
            {
                var state = Failing ? "error" : LastReadAt is null ? "starting" : "ok";
                return new SensorStatus(Name, type, driver, topic, state, Reads, Errors, Interlocked.Read(ref Records), LastReadAt, LastError);
            }
        }
    }
}

/// <summary>One sensor on the <see cref="SensorStatusBoard"/>.</summary>
/// <param name="Name">The configured name.</param>
/// <param name="Type">The sensor type (<c>bme280</c>, <c>gpio-input</c>, …).</param>
/// <param name="Driver"><c>real</c> or <c>simulated</c>.</param>
/// <param name="Topic">The log topic its readings go to.</param>
/// <param name="State"><c>starting</c> (no read yet), <c>ok</c> (last read succeeded) or <c>error</c> (last read failed).</param>
/// <param name="Reads">Successful reads since start.</param>
/// <param name="Errors">Failed reads since start.</param>
/// <param name="Records">Readings appended to the log since start.</param>
/// <param name="LastReadAt">When the last successful read happened.</param>
/// <param name="LastError">The reason of the last failed read (<c>io</c>, <c>crc</c>, …) and what went wrong.</param>
public sealed record SensorStatus(string Name, string Type, string Driver, string Topic, string State, long Reads, long Errors, long Records, DateTimeOffset? LastReadAt, string? LastError);

using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeStream.Log.Diagnostics;

namespace EdgeStream.Log.Ingest;

/// <summary>
/// Hands out one <see cref="IIngestWriter"/> per ingest source over a <see cref="LogStore"/>, all sharing the
/// instruments of meter <c>EdgeStream.Ingest</c>. Register it once per process (see
/// <c>services.AddIngestWriter(source)</c>); the writers it returns live as long as it does. Thread-safe.
/// </summary>
public sealed class LogIngest : IDisposable
{
    private readonly LogStore _store;
    private readonly IngestMetrics _metrics;
    private readonly ConcurrentDictionary<string, IIngestWriter> _writers = new(StringComparer.Ordinal);

    /// <summary>Creates the factory; its meter comes from <paramref name="meterFactory"/> when given.</summary>
    public LogIngest(LogStore store, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _metrics = new IngestMetrics(meterFactory);
    }

    /// <summary>The meter of the ingest instruments, so listeners can pick this instance's.</summary>
    public Meter Meter => _metrics.Meter;

    /// <summary>
    /// The writer of <paramref name="source"/> (the same instance on every call). Its series are published at zero from
    /// now on, so dashboards see every source before its first record.
    /// </summary>
    /// <exception cref="ArgumentException">The source name is empty.</exception>
    public IIngestWriter Writer(string source)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        return _writers.GetOrAdd(source, s => new LogIngestWriter(_store, s, _metrics));
    }

    /// <summary>Disposes the meter (when it was not created by a meter factory, which owns it).</summary>
    public void Dispose() => _metrics.Dispose();
}

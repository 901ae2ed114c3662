using System.Collections.Concurrent;

namespace EdgeStream.Ingest.Sensors.Runtime;

/// <summary>One <see cref="SemaphoreSlim"/> per bus key, so transfers of different sensors on one bus never interleave. Thread-safe.</summary>
internal sealed class BusLocks : IDisposable
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public SemaphoreSlim For(string busKey) => _locks.GetOrAdd(busKey, _ => new SemaphoreSlim(1, 1));

    public void Dispose()
    {
        foreach (var semaphore in _locks.Values)
        {
            semaphore.Dispose();
        }
    }
}

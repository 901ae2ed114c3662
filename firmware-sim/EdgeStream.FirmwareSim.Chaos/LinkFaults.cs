using EdgeStream.FirmwareSim.FaultProxy;

namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>
/// Cuts and black-holes the link between the service's HTTP sink and upstream through the fault proxy. Faults may
/// overlap (a cut for the disk-full episode during a scheduled black-hole): each one holds the link down until every
/// holder has let go. Counts what it did. Thread-safe.
/// </summary>
internal sealed class LinkFaults(TcpFaultProxy proxy)
{
    private readonly object _lock = new();
    private int _cuts;
    private int _blackHoles;

    /// <summary>Cuts taken so far.</summary>
    public int CutCount { get; private set; }

    /// <summary>Black-holes taken so far.</summary>
    public int BlackHoleCount { get; private set; }

    /// <summary>Closes every connection and refuses new ones until the returned handle is disposed.</summary>
    public IDisposable Cut()
    {
        lock (_lock)
        {
            CutCount++;
            _cuts++;
            proxy.Cut = true;
        }
        return new Release(() =>
        {
            lock (_lock)
            {
                proxy.Cut = --_cuts > 0;
            }
        });
    }

    /// <summary>Accepts and swallows every byte in both directions until the returned handle is disposed.</summary>
    public IDisposable BlackHole()
    {
        lock (_lock)
        {
            BlackHoleCount++;
            _blackHoles++;
            proxy.BlackHole = true;
        }
        return new Release(() =>
        {
            lock (_lock)
            {
                proxy.BlackHole = --_blackHoles > 0;
            }
        });
    }

    private sealed class Release(Action action) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                action();
            }
        }
    }
}

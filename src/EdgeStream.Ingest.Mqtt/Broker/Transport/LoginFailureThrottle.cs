using System.Net;

namespace EdgeStream.Ingest.Mqtt.Broker.Transport;

/// <summary>
/// Failed logins per peer address: after <c>free</c> failures an address is refused for a delay that doubles with each
/// further failure up to a cap, and a success or a quiet period as long as the cap forgets it. Refused addresses are
/// closed at accept, before any password hashing, so a flood of bad CONNECTs cannot starve good clients of CPU. The
/// table is bounded; when full, quiet entries are dropped and untracked addresses share one overflow entry.
/// Thread-safe.
/// </summary>
internal sealed class LoginFailureThrottle
{
    private static readonly TimeSpan BaseDelay = TimeSpan.FromSeconds(1);

    private readonly int _free;
    private readonly TimeSpan _maxDelay;
    private readonly int _maxTracked;
    private readonly TimeProvider _time;
    private readonly Dictionary<IPAddress, Entry> _entries = [];
    private readonly Entry _overflow = new();

    public LoginFailureThrottle(int freeFailures, TimeSpan maxDelay, int maxTracked, TimeProvider time)
    {
        _free = freeFailures;
        _maxDelay = maxDelay;
        _maxTracked = maxTracked;
        _time = time;
    }

    /// <summary>True while <paramref name="address"/> must wait before it may try again.</summary>
    public bool IsBlocked(IPAddress address)
    {
        var now = _time.GetUtcNow();
        lock (_entries)
        {
            var entry = _entries.TryGetValue(address, out var e) ? e : _entries.Count >= _maxTracked ? _overflow : null;
            return entry is not null && entry.BlockedUntil > now;
        }
    }

    public void Failed(IPAddress address)
    {
        var now = _time.GetUtcNow();
        lock (_entries)
        {
            if (!_entries.TryGetValue(address, out var entry))
            {
                if (_entries.Count >= _maxTracked)
                {
                    Prune(now);
                }
                entry = _entries.Count < _maxTracked ? _entries[address] = new Entry() : _overflow;
            }
            if (now - entry.LastFailure > _maxDelay)
            {
                entry.Failures = 0;
            }
            entry.Failures++;
            entry.LastFailure = now;
            if (entry.Failures > _free)
            {
                var doublings = Math.Min(30, entry.Failures - _free - 1);
                var delay = TimeSpan.FromTicks(Math.Min(_maxDelay.Ticks, BaseDelay.Ticks << doublings));
                entry.BlockedUntil = now + delay;
            }
        }
    }

    public void Succeeded(IPAddress address)
    {
        lock (_entries)
        {
            _entries.Remove(address);
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (address, entry) in _entries)
        {
            if (entry.BlockedUntil <= now && now - entry.LastFailure > _maxDelay)
            {
                _entries.Remove(address);
            }
        }
        if (_entries.Count >= _maxTracked)
        {
            // Still full of recent failures: forget the ones not currently blocked rather than grow.
            foreach (var (address, entry) in _entries)
            {
                if (entry.BlockedUntil <= now)
                {
                    _entries.Remove(address);
                }
            }
        }
    }

    private sealed class Entry
    {
        public int Failures;
        public DateTimeOffset LastFailure;
        public DateTimeOffset BlockedUntil;
    }
}

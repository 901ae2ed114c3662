using System.Net;

namespace EdgeStream.Ingest.Mqtt.Broker.Transport;

/// <summary>
/// A token bucket per peer address (refilled by elapsed time), for the connect rate. The table is bounded: when it is
/// full, buckets that have refilled completely are forgotten (they hold no information), and if it is still full,
/// untracked addresses share one overflow bucket — a flood of spoofed or many addresses slows itself, not memory.
/// Thread-safe.
/// </summary>
internal sealed class AddressRateLimiter
{
    private readonly double _perSecond;
    private readonly double _burst;
    private readonly int _maxTracked;
    private readonly TimeProvider _time;
    private readonly Dictionary<IPAddress, Bucket> _buckets = [];
    private readonly Bucket _overflow;

    public AddressRateLimiter(double perSecond, int burst, int maxTracked, TimeProvider time)
    {
        _perSecond = perSecond;
        _burst = Math.Max(1, burst);
        _maxTracked = maxTracked;
        _time = time;
        _overflow = new Bucket(_burst, time.GetTimestamp());
    }

    /// <summary>Addresses with a bucket right now (bounded by the tracked-address limit).</summary>
    public int Tracked
    {
        get
        {
            lock (_buckets)
            {
                return _buckets.Count;
            }
        }
    }

    /// <summary>Takes one token for <paramref name="address"/>; false when its bucket is empty.</summary>
    public bool TryAcquire(IPAddress address)
    {
        var now = _time.GetTimestamp();
        lock (_buckets)
        {
            if (!_buckets.TryGetValue(address, out var bucket))
            {
                if (_buckets.Count >= _maxTracked)
                {
                    Prune(now);
                }
                bucket = _buckets.Count < _maxTracked ? _buckets[address] = new Bucket(_burst, now) : _overflow;
            }
            Refill(bucket, now);
            if (bucket.Tokens < 1)
            {
                return false;
            }
            bucket.Tokens -= 1;
            return true;
        }
    }

    private void Prune(long now)
    {
        foreach (var (address, bucket) in _buckets)
        {
            Refill(bucket, now);
            if (bucket.Tokens >= _burst)
            {
                _buckets.Remove(address);
            }
        }
    }

    private void Refill(Bucket bucket, long now)
    {
        var elapsed = _time.GetElapsedTime(bucket.Stamp, now).TotalSeconds;
        bucket.Tokens = Math.Min(_burst, bucket.Tokens + (elapsed * _perSecond));
        bucket.Stamp = now;
    }

    private sealed class Bucket(double tokens, long stamp)
    {
        public double Tokens = tokens;
        public long Stamp = stamp;
    }
}

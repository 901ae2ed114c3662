namespace EdgeStream.Ingest.Mqtt.Limits;

/// <summary>
/// A token bucket that refills continuously from the time elapsed since it was last used: after an idle period of
/// burst / rate seconds it is full again, whatever happened before. (System.Threading.RateLimiting's bucket without
/// auto-replenishment adds one period's tokens per replenish call regardless of the idle time.) Thread-safe.
/// </summary>
internal sealed class TokenBucket
{
    private readonly double _perSecond;
    private readonly double _capacity;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private double _tokens;
    private long _stamp;

    public TokenBucket(double perSecond, int capacity, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _perSecond = perSecond;
        _capacity = capacity;
        _time = time;
        _tokens = capacity;
        _stamp = time.GetTimestamp();
    }

    /// <summary>Tokens available now (after refilling).</summary>
    public double Available
    {
        get
        {
            lock (_lock)
            {
                Refill();
                return _tokens;
            }
        }
    }

    /// <summary>Takes one token; false when fewer than one is available.</summary>
    public bool TryTake()
    {
        lock (_lock)
        {
            Refill();
            if (_tokens < 1)
            {
                return false;
            }
            _tokens -= 1;
            return true;
        }
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        _tokens = Math.Min(_capacity, _tokens + (_time.GetElapsedTime(_stamp, now).TotalSeconds * _perSecond));
        _stamp = now;
    }
}

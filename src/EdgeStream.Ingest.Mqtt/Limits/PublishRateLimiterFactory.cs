namespace EdgeStream.Ingest.Mqtt.Limits;

/// <summary>
/// Creates the per-connection publish token bucket from <see cref="MqttLimitsOptions"/>. Buckets refill from elapsed
/// time when asked, so a thousand clients cost no timers, and a device idle for a while gets its whole burst back.
/// </summary>
internal static class PublishRateLimiterFactory
{
    public static TokenBucket? Create(MqttLimitsOptions limits, TimeProvider time)
    {
        if (limits.PublishRatePerSecond <= 0)
        {
            return null;
        }
        var burst = limits.PublishBurst > 0 ? limits.PublishBurst : Math.Max(1, (int)Math.Ceiling(limits.PublishRatePerSecond));
        return new TokenBucket(limits.PublishRatePerSecond, burst, time);
    }

    /// <summary>Takes one token if available (refilling first by the time elapsed).</summary>
    public static bool TryTake(TokenBucket bucket) => bucket.TryTake();
}

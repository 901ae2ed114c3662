using System.Threading.RateLimiting;

namespace EdgeStream.Ingest.Mqtt.Limits;

/// <summary>
/// Creates the per-client publish token bucket from <see cref="MqttLimitsOptions"/>. Buckets refill from elapsed time
/// when asked (<see cref="RateLimiter"/> without auto-replenishment) so a thousand clients cost no timers.
/// </summary>
internal static class PublishRateLimiterFactory
{
    public static TokenBucketRateLimiter? Create(MqttLimitsOptions limits)
    {
        if (limits.PublishRatePerSecond <= 0)
        {
            return null;
        }
        var burst = limits.PublishBurst > 0 ? limits.PublishBurst : Math.Max(1, (int)Math.Ceiling(limits.PublishRatePerSecond));
        // Fill rate = TokensPerPeriod / ReplenishmentPeriod; pick a period that gives a whole number of tokens.
        var tokensPerPeriod = Math.Max(1, (int)Math.Round(limits.PublishRatePerSecond));
        var period = TimeSpan.FromSeconds(tokensPerPeriod / limits.PublishRatePerSecond);
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = false,
        });
    }

    /// <summary>Takes one token if available (refilling first by the time elapsed).</summary>
    public static bool TryTake(RateLimiter limiter)
    {
        if (limiter is ReplenishingRateLimiter replenishing)
        {
            replenishing.TryReplenish();
        }
        using var lease = limiter.AttemptAcquire(1);
        return lease.IsAcquired;
    }
}

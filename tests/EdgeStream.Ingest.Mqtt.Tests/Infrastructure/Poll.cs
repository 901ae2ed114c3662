namespace EdgeStream.Ingest.Mqtt.Tests.Infrastructure;

/// <summary>Waits for an eventually-true condition with a generous bound (never asserts on timing).</summary>
internal static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, TimeSpan? limit = null) where T : class
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not reached in time");
            }
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}

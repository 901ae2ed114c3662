namespace EdgeStream.Ingest.Sensors.Tests.Support;

internal static class Eventually
{
    /// <summary>Waits (real time, up to 10 s) until <paramref name="condition"/> holds, then a little longer so the loop under test parks on its next timer.</summary>
    public static async Task HoldsAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Condition did not hold within 10 s.");
            }
            await Task.Delay(5, cancellationToken);
        }
        await Task.Delay(30, cancellationToken);
    }
}

namespace EdgeStream.TestKit;

/// <summary>
/// Waits for something that becomes true eventually, checking every few milliseconds until a generous deadline, then
/// throws a <see cref="TimeoutException"/> naming what was awaited. The way tests wait for another thread or process
/// without a fixed sleep: fast on a fast machine, still correct on a slow one, and never a timing assertion.
/// </summary>
public static class Poll
{
    /// <summary>The deadline when none is given: long enough for a loaded 2-core CI machine.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <summary>Returns once <paramref name="condition"/> holds; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan? timeout = null, string? what = null, CancellationToken cancellationToken = default)
        => UntilAsync(() => Task.FromResult(condition()), timeout, what, cancellationToken);

    /// <summary>Returns once <paramref name="condition"/> completes with true; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, string? what = null, CancellationToken cancellationToken = default)
        => await UntilAsync<object>(async () => await condition() ? true : null, timeout, what, cancellationToken);

    /// <summary>Returns the first non-null value <paramref name="probe"/> yields; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, TimeSpan? timeout = null, string? what = null, CancellationToken cancellationToken = default)
        where T : class
    {
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Not reached within {limit.TotalSeconds:0.#} s: {what ?? "condition"}");
            }
            await Task.Delay(Interval, cancellationToken);
        }
    }
}

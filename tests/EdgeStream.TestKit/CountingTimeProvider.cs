using Microsoft.Extensions.Time.Testing;

namespace EdgeStream.TestKit;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that counts the timers created on it. A loop that waits with
/// <c>Task.Delay(…, time, …)</c> creates one timer each time it parks, so "one more timer" is a positive signal that the
/// loop has finished handling the last <see cref="FakeTimeProvider.Advance"/> and gone back to sleep: the moment to
/// assert that it emitted nothing, or to advance the clock again. No real-time sleep is needed for either.
/// </summary>
public sealed class CountingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private int _timers;

    /// <summary>How many timers have been created so far.</summary>
    public int TimersCreated => Volatile.Read(ref _timers);

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _timers);
        return timer;
    }

    /// <summary>Waits (real time, bounded) until at least <paramref name="count"/> timers have been created.</summary>
    public Task WaitForTimersAsync(int count, CancellationToken cancellationToken = default)
        => Poll.UntilAsync(() => TimersCreated >= count, what: $"{count} timers created (have {TimersCreated})", cancellationToken: cancellationToken);

    /// <summary>Advances the clock by <paramref name="delta"/> and waits until the woken loop has parked on a new timer.</summary>
    public async Task AdvanceAndWaitParkedAsync(TimeSpan delta, CancellationToken cancellationToken = default)
    {
        var before = TimersCreated;
        Advance(delta);
        await WaitForTimersAsync(before + 1, cancellationToken);
    }
}

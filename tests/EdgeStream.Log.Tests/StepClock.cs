using Microsoft.Extensions.Time.Testing;

namespace EdgeStream.Log.Tests;

/// <summary>
/// A <see cref="FakeTimeProvider"/> whose wall clock can step forwards or backwards (as NTP steps a Pi that booted
/// without an RTC) while its monotonic clock and timers only move with <see cref="Advance"/>.
/// </summary>
internal sealed class StepClock : TimeProvider
{
    public FakeTimeProvider Inner { get; } = new(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The wall clock's offset from the monotonic timeline.</summary>
    public TimeSpan Step { get; set; }

    public void Advance(TimeSpan by) => Inner.Advance(by);

    public override DateTimeOffset GetUtcNow() => Inner.GetUtcNow() + Step;

    public override long GetTimestamp() => Inner.GetTimestamp();

    public override long TimestampFrequency => Inner.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        => Inner.CreateTimer(callback, state, dueTime, period);
}

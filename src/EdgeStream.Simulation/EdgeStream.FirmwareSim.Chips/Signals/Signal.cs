namespace EdgeStream.FirmwareSim.Chips.Signals;

/// <summary>
/// A physical quantity as a function of time, in the chip's natural unit (°C, Pa, %RH, lx, V).
/// Chips sample their signals when they perform a conversion. Implementations are thread-safe.
/// </summary>
public abstract class Signal
{
    /// <summary>The value at <paramref name="time"/>.</summary>
    public abstract double Sample(DateTimeOffset time);

    /// <summary>A signal that returns <paramref name="value"/> until changed; tests use it for exact expectations.</summary>
    public static ConstantSignal Constant(double value) => new(value);
}

namespace EdgeStream.FirmwareSim.Chips.Signals;

/// <summary>A fixed value that a test can change between reads. Thread-safe.</summary>
public sealed class ConstantSignal(double value) : Signal
{
    private double _value = value;

    /// <summary>The value every sample returns.</summary>
    public double Value
    {
        get => Volatile.Read(ref _value);
        set => Volatile.Write(ref _value, value);
    }

    /// <inheritdoc />
    public override double Sample(DateTimeOffset time) => Value;
}

namespace EdgeStream.Ingest.Sensors.Options;

/// <summary>One ADS1115 input: which multiplexer setting, which range, and the linear map to engineering units.</summary>
public sealed class AdcChannelOptions
{
    /// <summary>Quantity name in the record (<c>soil_moisture</c>).</summary>
    public string Name { get; set; } = "";

    /// <summary>Multiplexer setting: AIN0…AIN3 or AIN0_AIN1, AIN0_AIN3, AIN1_AIN3, AIN2_AIN3.</summary>
    public string Input { get; set; } = "AIN0";

    /// <summary>Full-scale range: FS6144, FS4096 (default), FS2048, FS1024, FS0512, FS0256.</summary>
    public string Range { get; set; } = "FS4096";

    /// <summary>Engineering value = volts × Scale + Offset.</summary>
    public double Scale { get; set; } = 1;

    /// <inheritdoc cref="Scale"/>
    public double Offset { get; set; }

    /// <summary>Unit of the engineering value; volts (<c>V</c>) when unset.</summary>
    public string? Unit { get; set; }
}

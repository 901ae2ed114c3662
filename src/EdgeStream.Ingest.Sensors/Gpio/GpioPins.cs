using System.Device.Gpio;
using EdgeStream.Ingest.Sensors.Options;

namespace EdgeStream.Ingest.Sensors.Gpio;

/// <summary>Maps the <c>Pull</c> option to a pin mode.</summary>
internal static class GpioPins
{
    public static PinMode InputMode(SensorOptions options) => options.Pull switch
    {
        "down" => PinMode.InputPullDown,
        "none" => PinMode.Input,
        _ => PinMode.InputPullUp,
    };
}

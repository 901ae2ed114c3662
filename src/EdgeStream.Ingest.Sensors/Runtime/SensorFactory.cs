using EdgeStream.Ingest.Sensors.Hardware;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Sources;

namespace EdgeStream.Ingest.Sensors.Runtime;

/// <summary>Builds the polled sensor for a validated options entry.</summary>
internal static class SensorFactory
{
    public static IPolledSensor CreatePolled(SensorOptions options, ISensorHardware hardware) => options.Kind switch
    {
        SensorTypes.Bme280 or SensorTypes.Bmp280 => new Bmx280Sensor(options, hardware),
        SensorTypes.Sht3x => new Sht3xSensor(options, hardware),
        SensorTypes.Bh1750 => new Bh1750Sensor(options, hardware),
        SensorTypes.Ads1115 => new Ads1115Sensor(options, hardware),
        SensorTypes.Mcp9808 => new Mcp9808Sensor(options, hardware),
        SensorTypes.Ds18b20 => new Ds18b20Sensor(options, hardware),
        _ => throw new ArgumentException($"Sensor type {options.Kind} is not polled.", nameof(options)),
    };
}

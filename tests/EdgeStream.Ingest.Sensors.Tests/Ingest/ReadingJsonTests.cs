using System.Text;
using System.Text.Json;
using EdgeStream.Ingest.Sensors.Readings;
using UnitsNet;

namespace EdgeStream.Ingest.Sensors.Tests.Ingest;

public sealed class ReadingJsonTests
{
    [Fact]
    public void Record_is_compact_json_with_the_documented_fields()
    {
        var reading = new SensorReading("greenhouse-air", "bme280", new DateTimeOffset(2026, 5, 1, 12, 0, 0, 250, TimeSpan.FromHours(2)),
            [ReadingQuantity.From("temperature", Temperature.FromDegreesCelsius(21.5)), ReadingQuantity.From("pressure", Pressure.FromPascals(101325.2)), ReadingQuantity.From("humidity", RelativeHumidity.FromPercent(48))]);

        string json = Encoding.UTF8.GetString(ReadingJson.Serialize(reading, new Dictionary<string, string> { ["site"] = "north" }));

        Assert.Equal(
            """{"sensor":"greenhouse-air","type":"bme280","ts":"2026-05-01T10:00:00.250Z","quantities":{"temperature":{"value":21.5,"unit":"°C"},"pressure":{"value":101325.2,"unit":"Pa"},"humidity":{"value":48,"unit":"%RH"}},"tags":{"site":"north"},"status":"ok"}""",
            json);
        using var parsed = JsonDocument.Parse(json);
        Assert.Equal("ok", parsed.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public void Units_come_from_the_quantity_the_binding_returned()
    {
        Assert.Equal("lx", ReadingQuantity.From("illuminance", Illuminance.FromLux(3)).Unit);
        Assert.Equal("V", ReadingQuantity.From("a0", ElectricPotential.FromVolts(1.2)).Unit);
        Assert.Equal("Hz", ReadingQuantity.From("rate", Frequency.FromHertz(5)).Unit);
        Assert.Equal("°F", ReadingQuantity.From("t", Temperature.FromDegreesFahrenheit(70)).Unit);
    }
}

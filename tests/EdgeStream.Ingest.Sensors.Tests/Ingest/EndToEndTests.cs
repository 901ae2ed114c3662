using System.Text;
using System.Text.Json;
using EdgeStream.Log;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeStream.Ingest.Sensors.Tests.Ingest;

public sealed class EndToEndTests : IDisposable
{
    private readonly TempDir _dir = new("sensors");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_source_that_cannot_start_logs_its_stack_trace_once_and_its_restarts_at_debug()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = await LogStore.OpenAsync(new LogOptions { DataDirectory = Path.Combine(_dir.Path, "log"), CommitPolicy = "group" }, NullLoggerFactory.Instance, TimeProvider.System, ct);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        // Pin 40 is valid configuration, but the simulated header has 28 pins: the source fails at every start, as an
        // unplugged sensor does on a box for as long as it runs.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sensors:0:Name"] = "door", ["Sensors:0:Type"] = "gpio-input", ["Sensors:0:Driver"] = "simulated", ["Sensors:0:Pin"] = "40",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Debug).AddFakeLogging();
        builder.Services.AddSingleton(store);
        builder.Services.AddSensorIngest(builder.Configuration);
        builder.Services.AddSimulatedSensorHardware();
        using var host = builder.Build();
        var logs = host.Services.GetFakeLogCollector();
        await host.StartAsync(ct);
        // Restarts after 1 s, then 2 s: three failed starts.
        await Poll.UntilAsync(() => logs.GetSnapshot().Count(r => r.Id.Id is 6006 or 6007) >= 3, TimeSpan.FromSeconds(30), "three failed starts", ct);
        await host.StopAsync(ct);

        var failures = logs.GetSnapshot().Where(r => r.Id.Id is 6006 or 6007).ToList();
        Assert.Equal(LogLevel.Error, failures[0].Level);
        Assert.NotNull(failures[0].Exception);
        Assert.All(failures.Skip(1), r => Assert.Equal((6007, LogLevel.Debug), (r.Id.Id, r.Level)));
    }

    [Fact]
    public async Task Configured_simulated_sensors_land_in_the_log()
    {
        var ct = TestContext.Current.CancellationToken;
        string[] types = ["bme280", "bmp280", "sht3x", "bh1750", "ads1115", "mcp9808", "ds18b20", "gpio-input", "pulse-counter"];
        var settings = new Dictionary<string, string?>();
        for (int i = 0; i < types.Length; i++)
        {
            settings[$"Sensors:{i}:Name"] = $"sim-{types[i]}";
            settings[$"Sensors:{i}:Type"] = types[i];
            settings[$"Sensors:{i}:Driver"] = "simulated";
            settings[$"Sensors:{i}:PollInterval"] = "00:00:00.200";
            settings[$"Sensors:{i}:Tags:site"] = "lab";
        }
        settings["Sensors:1:Address"] = "0x77";
        settings["Sensors:4:Channels:0:Name"] = "soil";
        settings["Sensors:4:Channels:0:Scale"] = "30";
        settings["Sensors:4:Channels:0:Unit"] = "%";
        settings["Sensors:6:DeviceId"] = "28-0316a1e2b3ff";
        settings["Sensors:6:Simulation:OneWireRoot"] = Path.Combine(_dir.Path, "w1");
        settings["Sensors:7:Pin"] = "17";
        settings["Sensors:8:Pin"] = "27";
        settings["Sensors:8:Simulation:PulseRateHz"] = "20";

        await using var store = await LogStore.OpenAsync(new LogOptions { DataDirectory = Path.Combine(_dir.Path, "log"), CommitPolicy = "group" }, NullLoggerFactory.Instance, TimeProvider.System, ct);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(store);
        builder.Services.AddSensorIngest(builder.Configuration);
        builder.Services.AddSimulatedSensorHardware();
        using (var host = builder.Build())
        {
            await host.StartAsync(ct);
            // Until every sensor has landed and the 200 ms pollers have read repeatedly, however slow the machine.
            await Poll.UntilAsync(async () =>
            {
                if (store.GetTopic("sensors") is null)
                {
                    return false;
                }
                var stored = store.Read("sensors", 0, 0, ReadLimits.Default).Records
                    .Select(r => JsonDocument.Parse(r.Value).RootElement.GetProperty("sensor").GetString()!).ToList();
                return stored.Distinct().Count() == types.Length && stored.Count(n => n == "sim-sht3x") >= 5;
            }, TimeSpan.FromSeconds(30), "readings from every sensor, five from sim-sht3x", ct);
            await host.StopAsync(ct);
        }

        var records = store.Read("sensors", 0, 0, ReadLimits.Default).Records;
        var documents = records.Select(r => JsonDocument.Parse(r.Value)).ToList();
        var sensors = documents.Select(d => d.RootElement.GetProperty("sensor").GetString()!).ToHashSet();
        Assert.Equal(types.Select(t => $"sim-{t}").ToHashSet(), sensors);
        Assert.All(records, r => Assert.Equal(
            JsonDocument.Parse(r.Value).RootElement.GetProperty("sensor").GetString(),
            Encoding.UTF8.GetString(r.Key!.Value.Span)));
        Assert.All(documents, d =>
        {
            Assert.Equal("ok", d.RootElement.GetProperty("status").GetString());
            Assert.Equal("lab", d.RootElement.GetProperty("tags").GetProperty("site").GetString());
            Assert.NotEmpty(d.RootElement.GetProperty("quantities").EnumerateObject());
        });
        var bme = documents.First(d => d.RootElement.GetProperty("sensor").GetString() == "sim-bme280").RootElement.GetProperty("quantities");
        Assert.Equal("°C", bme.GetProperty("temperature").GetProperty("unit").GetString());
        Assert.InRange(bme.GetProperty("pressure").GetProperty("value").GetDouble(), 100_000, 102_500);
        // A polled sensor reads again and again, not once.
        Assert.True(documents.Count(d => d.RootElement.GetProperty("sensor").GetString() == "sim-sht3x") >= 5);
    }
}

using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Runtime;
using EdgeStream.Ingest.Sensors.Tests.Support;
using EdgeStream.Log.Ingest;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeStream.Ingest.Sensors.Tests.Ingest;

public sealed class OptionsTests
{
    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddKeyedSingleton<IIngestWriter>(SensorIngestService.IngestSource, new NullIngestWriter());
        builder.Services.AddSensorIngest(builder.Configuration);
        return builder.Build();
    }

    [Fact]
    public async Task Bad_address_stops_start_up_naming_the_key()
    {
        var settings = new Dictionary<string, string?>();
        for (int i = 0; i < 4; i++)
        {
            settings[$"Sensors:{i}:Name"] = $"s{i}";
            settings[$"Sensors:{i}:Type"] = "bme280";
            settings[$"Sensors:{i}:Driver"] = "simulated";
            settings[$"Sensors:{i}:Address"] = "0x76";
        }
        settings["Sensors:3:Address"] = "0x1ff";
        using var host = Build(settings);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("Sensors:3:Address:", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_bad_keys_are_both_reported_in_one_start_failure_each_naming_its_key()
    {
        using var host = Build(new Dictionary<string, string?>
        {
            ["Sensors:0:Name"] = "door",
            ["Sensors:0:Type"] = "gpio-input",
            ["Sensors:0:Driver"] = "simulated",
            ["Sensors:0:Pin"] = "17",
            ["Sensors:0:PollInterval"] = "00:00:00",
            ["Sensors:0:StuckAfter"] = "-1",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal(2, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.StartsWith("Sensors:0:PollInterval: ", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Sensors:0:StuckAfter: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Validator_names_every_bad_key()
    {
        var options = new SensorIngestOptions
        {
            Sensors =
            [
                new SensorOptions { Name = "a", Type = "bme281" },
                new SensorOptions { Name = "a", Type = "gpio-input", Driver = "fake" },
                new SensorOptions { Name = "t", Type = "ds18b20", DeviceId = "10-123", PollInterval = TimeSpan.Zero },
                new SensorOptions { Name = "adc", Type = "ads1115", Channels = [new AdcChannelOptions { Name = "x", Input = "AIN9" }] },
                new SensorOptions { Name = "door", Type = "gpio-input", Pin = 17, Topic = "doors/front" },
                new SensorOptions { Name = "door2", Type = "gpio-input", Pin = 18, Topic = "doors.dlq" },
            ],
        };

        var result = new SensorOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var keys = result.Failures!.Select(f => f[..f.IndexOf(": ", StringComparison.Ordinal)]).ToHashSet();
        Assert.Equal(
            new HashSet<string> { "Sensors:0:Type", "Sensors:1:Name", "Sensors:1:Driver", "Sensors:1:Pin", "Sensors:2:PollInterval", "Sensors:2:DeviceId", "Sensors:3:Channels:0:Input",
                "Sensors:4:Topic", "Sensors:5:Topic" },
            keys);
    }

    [Fact]
    public void The_simulated_example_config_binds_and_validates()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Repo.Root, "deploy", "examples", "simulated-sensors.json"))
            .Build();
        var options = new SensorIngestOptions();
        configuration.GetSection("Sensors").Bind(options.Sensors);

        Assert.True(new SensorOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(SensorTypes.All.ToHashSet(), options.Sensors.Select(s => s.Kind).ToHashSet());
        Assert.All(options.Sensors, s => Assert.True(s.Simulated));
        Assert.All(options.Sensors, s => Assert.Equal("sensors", s.Topic));
        Assert.NotNull(configuration["Log:DataDirectory"]);
    }
}

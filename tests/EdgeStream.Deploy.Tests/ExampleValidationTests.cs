using EdgeStream.Forwarding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgeStream.Deploy.Tests;

/// <summary>
/// Each example passes the validators <c>edgestream run</c> applies at start (ValidateOnStart), so a user who copies
/// one gets a service that starts. Files an example names under /etc/edgestream are swapped for temp files.
/// </summary>
public sealed class ExampleValidationTests
{
    public static TheoryData<string> Files => new()
    {
        "examples/kafka-upstream.json",
        "examples/mqtt-cloud-upstream.json",
        "examples/nats-upstream.json",
        "examples/http-upstream.json",
        "examples/pi-sensors.json",
        "examples/simulated-sensors.json",
        "appsettings.json",
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void Example_passes_the_forwarding_mqtt_and_sensor_validators(string file)
    {
        using var tmp = new TempDir("deploy");
        using var provider = Services(Load(file, tmp));

        // What the host runs before starting: every ValidateOnStart options type (Forwarding, Mqtt, Sensors).
        provider.GetRequiredService<IStartupValidator>().Validate();

        var sinks = provider.GetRequiredService<IOptions<ForwardingOptions>>().Value.Sinks;
        Assert.Equal(file.Contains("upstream", StringComparison.Ordinal) ? 1 : 0, sinks.Count);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Example_holds_only_keys_the_forwarding_mqtt_and_sensor_settings_know(string file)
    {
        using var tmp = new TempDir("deploy");
        // One misspelt key beside the example: the check must name it and nothing of the example itself.
        var config = new ConfigurationBuilder()
            .AddConfiguration(Load(file, tmp))
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Mqtt:Limits:MaxPacketByte"] = "1000" })
            .Build();
        using var provider = Services(config);

        // The key of UnknownSettings.ServiceKey (src/Shared), under which each stage registers what it did not bind.
        var unknown = provider.GetKeyedServices<IReadOnlyList<string>>("edgestream.unknown-settings").SelectMany(k => k);
        Assert.Equal(["Mqtt:Limits:MaxPacketByte"], unknown);
    }

    // Proves the check above has teeth for each section it claims to cover.
    [Theory]
    [InlineData("examples/kafka-upstream.json", "Forwarding:Sinks:0:Type", "carrier-pigeon")]
    [InlineData("examples/mqtt-cloud-upstream.json", "Forwarding:Sinks:0:Settings:Host", "")]
    [InlineData("examples/pi-sensors.json", "Sensors:0:Address", "0x1ff")]
    [InlineData("examples/http-upstream.json", "Mqtt:Routes:0:Filter", "a/#/b")]
    public void A_broken_example_is_caught_by_the_same_check(string file, string key, string value)
    {
        using var tmp = new TempDir("deploy");
        var config = new ConfigurationBuilder()
            .AddConfiguration(Load(file, tmp))
            .AddInMemoryCollection(new Dictionary<string, string?> { [key] = value })
            .Build();
        using var provider = Services(config);

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(key + ":", e.Message.Replace(key + " ", key + ":", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    private static ServiceProvider Services(IConfiguration config)
    {
        var services = new ServiceCollection();
        services.AddForwarding(config);
        services.AddKafkaSink().AddMqttSink().AddNatsSink().AddHttpSink();
        services.AddMqttIngest(config);
        services.AddSensorIngest(config);
        return services.BuildServiceProvider();
    }

    private static IConfigurationRoot Load(string file, TempDir tmp)
    {
        var json = new ConfigurationBuilder().AddJsonFile(Path.Combine(Repo.Deploy, file), optional: false, reloadOnChange: false).Build();
        // Certificates and keys the example expects the user to provide: point them at files that exist.
        var overrides = new Dictionary<string, string?>();
        foreach (var (key, value) in json.AsEnumerable())
        {
            if (value is not null && value.StartsWith("/etc/edgestream/", StringComparison.Ordinal) && !value.EndsWith(".json", StringComparison.Ordinal))
            {
                var standIn = tmp.Combine(Path.GetFileName(value));
                File.WriteAllText(standIn, "placeholder");
                overrides[key] = standIn;
            }
        }
        return new ConfigurationBuilder().AddConfiguration(json).AddInMemoryCollection(overrides).Build();
    }
}

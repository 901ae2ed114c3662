using System.Text.Json;
using EdgeStream.Log;
using Microsoft.Extensions.Configuration;

namespace EdgeStream.Deploy.Tests;

/// <summary>The example configurations in deploy/ are valid JSON with the sections their scenario needs.</summary>
public sealed class ExampleConfigTests
{
    public static TheoryData<string, string[]> Examples => new()
    {
        { "examples/kafka-upstream.json", ["Log", "Mqtt", "Forwarding"] },
        { "examples/mqtt-cloud-upstream.json", ["Log", "Mqtt", "Forwarding"] },
        { "examples/nats-upstream.json", ["Log", "Mqtt", "Forwarding"] },
        { "examples/http-upstream.json", ["Log", "Mqtt", "Forwarding"] },
        { "examples/pi-sensors.json", ["Log", "Sensors"] },
        { "examples/simulated-sensors.json", ["Log", "Sensors"] },
        { "appsettings.json", ["Log", "Mqtt", "Forwarding"] },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_is_strict_json_with_the_expected_sections(string file, string[] sections)
    {
        // Strict: no comments or trailing commas, which the configuration loader would also refuse.
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo.Deploy, file)));

        Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        var present = doc.RootElement.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        Assert.All(sections, s => Assert.Contains(s, present));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Log_section_binds_and_passes_the_logs_own_validation(string file, string[] sections)
    {
        Assert.Contains("Log", sections);
        var options = new LogOptions();
        Load(file).GetSection("Log").Bind(options, o => o.ErrorOnUnknownConfiguration = true);

        options.Validate();
    }

    [Theory]
    [InlineData("kafka-upstream.json", "kafka", "BootstrapServers")]
    [InlineData("mqtt-cloud-upstream.json", "mqtt", "Host")]
    [InlineData("nats-upstream.json", "nats", "Url")]
    [InlineData("http-upstream.json", "http", "Url")]
    public void Upstream_example_has_one_sink_of_its_type_with_its_required_setting(string file, string type, string required)
    {
        var sinks = Load("examples/" + file).GetSection("Forwarding:Sinks").GetChildren().ToList();

        var sink = Assert.Single(sinks);
        Assert.Equal(type, sink["Type"]);
        Assert.False(string.IsNullOrWhiteSpace(sink["Name"]));
        Assert.False(string.IsNullOrWhiteSpace(sink[$"Settings:{required}"]));
    }

    [Fact]
    public void Mqtt_cloud_example_authenticates_with_a_tls_client_certificate()
    {
        var settings = Load("examples/mqtt-cloud-upstream.json").GetSection("Forwarding:Sinks:0:Settings");

        Assert.Equal("true", settings["Tls"]);
        Assert.StartsWith("/etc/edgestream/", settings["CertFile"], StringComparison.Ordinal);
        Assert.StartsWith("/etc/edgestream/", settings["KeyFile"], StringComparison.Ordinal);
        Assert.StartsWith("/etc/edgestream/", settings["CaFile"], StringComparison.Ordinal);
    }

    [Fact]
    public void Pi_sensors_example_uses_the_real_drivers_only()
    {
        var sensors = Load("examples/pi-sensors.json").GetSection("Sensors").GetChildren().ToList();

        Assert.NotEmpty(sensors);
        Assert.All(sensors, s => Assert.Equal("real", s["Driver"]));
        Assert.Equal(sensors.Count, sensors.Select(s => s["Name"]).Distinct(StringComparer.Ordinal).Count());
    }

    private static IConfigurationRoot Load(string file) =>
        new ConfigurationBuilder().AddJsonFile(Path.Combine(Repo.Deploy, file), optional: false, reloadOnChange: false).Build();
}

using System.Globalization;
using EdgeStream.Log;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MQTTnet;

namespace EdgeStream.Ingest.Mqtt.Tests;

/// <summary>AddMqttIngest in a generic host: validation at start, and a working broker.</summary>
public sealed class HostingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(IHost Host, LogStore Store, string Dir)> BuildAsync(Dictionary<string, string?> settings)
    {
        var dir = Path.Combine(Path.GetTempPath(), "es-host-" + Guid.NewGuid().ToString("N"));
        var store = await LogStore.OpenAsync(new LogOptions { DataDirectory = dir }, cancellationToken: Ct);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(store);
        builder.Services.AddMqttIngest(builder.Configuration);
        return (builder.Build(), store, dir);
    }

    [Fact]
    public async Task Two_bad_keys_are_both_reported_in_one_start_failure_each_naming_its_key()
    {
        var (host, store, dir) = await BuildAsync(new()
        {
            ["Mqtt:Port"] = "0",
            ["Mqtt:Limits:MaxConnections"] = "0",
            ["Mqtt:Upstreams:0:Name"] = "cloud",
            ["Mqtt:Upstreams:0:Port"] = "70000",
            ["Mqtt:Upstreams:0:Subscriptions:0"] = "a/#",
        });
        try
        {
            var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));
            Assert.Contains(ex.Failures, f => f.StartsWith("Mqtt:Limits:MaxConnections: ", StringComparison.Ordinal));
            Assert.Contains(ex.Failures, f => f.StartsWith("Mqtt:Upstreams:0:Port: ", StringComparison.Ordinal));
            Assert.Equal(2, ex.Failures.Count());
        }
        finally
        {
            host.Dispose();
            await store.DisposeAsync();
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task A_negative_retained_snapshot_interval_stops_the_host_at_start_naming_the_key()
    {
        var (host, store, dir) = await BuildAsync(new() { ["Mqtt:Port"] = "0", ["Mqtt:RetainedSnapshotInterval"] = "-00:00:01" });
        try
        {
            var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));
            Assert.StartsWith("Mqtt:RetainedSnapshotInterval: ", Assert.Single(ex.Failures), StringComparison.Ordinal);
        }
        finally
        {
            host.Dispose();
            await store.DisposeAsync();
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task A_bad_route_stops_the_host_at_start_naming_the_key()
    {
        var (host, store, dir) = await BuildAsync(new()
        {
            ["Mqtt:Port"] = "0", ["Mqtt:Routes:0:Filter"] = "a", ["Mqtt:Routes:0:Topic"] = "t", ["Mqtt:Routes:1:Filter"] = "a/#/b", ["Mqtt:Routes:1:Topic"] = "t",
            ["Mqtt:Routes:2:Filter"] = "b/#", ["Mqtt:Routes:2:Topic"] = "b.dlq", // dead letters are forwarding's alone
        });
        try
        {
            var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));
            Assert.Contains("Mqtt:Routes:1:Filter", ex.Message, StringComparison.Ordinal);
            Assert.Contains("Mqtt:Routes:2:Topic: 'b.dlq': topic name ends in .dlq", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            host.Dispose();
            await store.DisposeAsync();
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task The_hosted_broker_accepts_and_stores_publishes()
    {
        var port = Ports.Free();
        var (host, store, dir) = await BuildAsync(new() { ["Mqtt:Port"] = port.ToString(CultureInfo.InvariantCulture) });
        try
        {
            await host.StartAsync(Ct);
            using var client = new MqttClientFactory().CreateMqttClient();
            await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("h1").Build(), Ct);
            var result = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("a/b").WithPayload("p").WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
            Assert.True(result.IsSuccess);
            Assert.Equal(1, store.GetTopic("mqtt")!.Partitions.Sum(p => p.DurableOffset));
            await host.StopAsync(Ct);
        }
        finally
        {
            host.Dispose();
            await store.DisposeAsync();
            Directory.Delete(dir, true);
        }
    }
}

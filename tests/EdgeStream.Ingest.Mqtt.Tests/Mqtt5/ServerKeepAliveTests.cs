using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using MQTTnet;

namespace EdgeStream.Ingest.Mqtt.Tests.Mqtt5;

/// <summary>Mqtt:MaxKeepAlive: announced as Server Keep Alive in CONNACK and enforced.</summary>
public sealed class ServerKeepAliveTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_client_asking_for_a_longer_keep_alive_is_told_the_maximum_and_one_within_it_keeps_its_own()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaxKeepAlive = TimeSpan.FromSeconds(60));
        using var greedy = new MqttClientFactory().CreateMqttClient();
        Assert.Equal(60, (await greedy.ConnectAsync(broker.ClientOptions("greedy").WithKeepAlivePeriod(TimeSpan.FromSeconds(120)).Build(), Ct)).ServerKeepAlive);
        using var modest = new MqttClientFactory().CreateMqttClient();
        Assert.Equal(0, (await modest.ConnectAsync(broker.ClientOptions("modest").WithKeepAlivePeriod(TimeSpan.FromSeconds(30)).Build(), Ct)).ServerKeepAlive);
    }

    [Fact]
    public async Task A_silent_client_that_asked_for_no_keep_alive_is_disconnected_after_one_and_a_half_times_the_maximum()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaxKeepAlive = TimeSpan.FromSeconds(1));
        // A raw 3.1.1-style socket would keep its own value; MQTTnet's client with no keep alive stays silent.
        var client = new MqttClientFactory().CreateMqttClient();
        var result = await client.ConnectAsync(broker.ClientOptions("silent").WithNoKeepAlive().Build(), Ct);
        Assert.Equal(1, result.ServerKeepAlive);
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Clients.Get("silent") is null ? "" : null), TimeSpan.FromSeconds(15));
        client.Dispose();
    }

    [Fact]
    public void A_keep_alive_limit_out_of_range_is_reported_with_its_key()
    {
        var errors = new EdgeStream.Ingest.Mqtt.Hosting.MqttIngestOptionsValidator().Validate(null, new MqttIngestOptions { MaxKeepAlive = TimeSpan.FromDays(2) }).Failures ?? [];
        Assert.Contains(errors, e => e.StartsWith("Mqtt:MaxKeepAlive", StringComparison.Ordinal));
    }
}

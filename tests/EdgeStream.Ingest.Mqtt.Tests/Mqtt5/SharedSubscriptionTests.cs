using System.Globalization;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests.Mqtt5;

/// <summary>Shared subscriptions <c>$share/{group}/{filter}</c>: each message goes to one member of the group.</summary>
[Trait("Category", "Slow")]
public sealed class SharedSubscriptionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MqttApplicationMessage Message(string topic, string payload)
        => new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    private static async Task<(IMqttClient Client, MessageCollector Received)> MemberAsync(TestBroker broker, string id, string sharedFilter)
    {
        var client = await broker.ConnectAsync(id);
        var received = new MessageCollector(client);
        var result = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(sharedFilter, MqttQualityOfServiceLevel.AtLeastOnce).WithTopicFilter("sentinel", MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        Assert.All(result.Items, i => Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, i.ResultCode));
        return (client, received);
    }

    [Fact]
    public async Task Each_message_on_a_shared_subscription_goes_to_exactly_one_member_in_turn()
    {
        await using var broker = await TestBroker.StartAsync();
        var (a, aReceived) = await MemberAsync(broker, "worker-a", "$share/workers/jobs/+");
        var (b, bReceived) = await MemberAsync(broker, "worker-b", "$share/workers/jobs/+");
        using var publisher = await broker.ConnectAsync("pub");
        for (var i = 0; i < 10; i++)
        {
            await publisher.PublishAsync(Message("jobs/" + i.ToString(CultureInfo.InvariantCulture), "job"), Ct);
        }
        // Both members subscribe "sentinel" plainly: once each has it, each has everything published before it.
        await publisher.PublishAsync(Message("sentinel", "end"), Ct);
        await aReceived.WaitForTopicAsync("sentinel");
        await bReceived.WaitForTopicAsync("sentinel");

        var aJobs = aReceived.Topics.Where(t => t.StartsWith("jobs/", StringComparison.Ordinal)).ToList();
        var bJobs = bReceived.Topics.Where(t => t.StartsWith("jobs/", StringComparison.Ordinal)).ToList();
        Assert.Equal(10, aJobs.Count + bJobs.Count);
        Assert.Empty(aJobs.Intersect(bJobs));
        Assert.Equal(5, aJobs.Count); // round robin over two connected members
        a.Dispose();
        b.Dispose();
    }

    [Fact]
    public async Task Connack_announces_shared_subscriptions_and_an_unsubscribed_member_gets_no_more()
    {
        await using var broker = await TestBroker.StartAsync();
        using var probe = new MqttClientFactory().CreateMqttClient();
        Assert.True((await probe.ConnectAsync(broker.ClientOptions("probe").Build(), Ct)).SharedSubscriptionAvailable);

        var (a, aReceived) = await MemberAsync(broker, "m-a", "$share/g/t");
        var (b, bReceived) = await MemberAsync(broker, "m-b", "$share/g/t");
        await a.UnsubscribeAsync("$share/g/t", Ct);
        using var publisher = await broker.ConnectAsync("pub");
        for (var i = 0; i < 4; i++)
        {
            await publisher.PublishAsync(Message("t", i.ToString(CultureInfo.InvariantCulture)), Ct);
        }
        await publisher.PublishAsync(Message("sentinel", "end"), Ct);
        await aReceived.WaitForTopicAsync("sentinel");
        await bReceived.WaitForTopicAsync("sentinel");
        Assert.Equal(["sentinel"], aReceived.Topics);
        Assert.Equal(4, bReceived.Topics.Count(t => t == "t"));
        a.Dispose();
        b.Dispose();
    }

    [Fact]
    public async Task Two_groups_on_one_filter_each_get_every_message_once()
    {
        await using var broker = await TestBroker.StartAsync();
        var (a, aReceived) = await MemberAsync(broker, "g1-a", "$share/one/t");
        var (b, bReceived) = await MemberAsync(broker, "g2-b", "$share/two/t");
        using var publisher = await broker.ConnectAsync("pub");
        await publisher.PublishAsync(Message("t", "x"), Ct);
        await publisher.PublishAsync(Message("sentinel", "end"), Ct);
        await aReceived.WaitForTopicAsync("sentinel");
        await bReceived.WaitForTopicAsync("sentinel");
        Assert.Equal(1, aReceived.Topics.Count(t => t == "t"));
        Assert.Equal(1, bReceived.Topics.Count(t => t == "t"));
        a.Dispose();
        b.Dispose();
    }

    [Fact]
    public async Task Mosquitto_sub_on_a_shared_subscription_receives_its_share()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/mosquitto_sub"), "mosquitto-clients is not installed (test.sh installs it)");
        await using var broker = await TestBroker.StartAsync();
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        broker.Broker.Server.ClientSubscribedTopicAsync += _ =>
        {
            subscribed.TrySetResult();
            return Task.CompletedTask;
        };
        var sub = ExternalProcess.RunAsync("mosquitto_sub", ["-h", "127.0.0.1", "-p", broker.Port.ToString(CultureInfo.InvariantCulture), "-V", "mqttv5",
            "-t", "$share/grp/plant/+", "-q", "1", "-C", "2", "-W", "20", "-v"], TimeSpan.FromSeconds(25));
        await subscribed.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        using var publisher = await broker.ConnectAsync("pub");
        await publisher.PublishAsync(Message("plant/1", "a"), Ct);
        await publisher.PublishAsync(Message("plant/2", "b"), Ct);
        var (code, stdout, stderr) = await sub;
        Assert.True(code == 0, stderr);
        Assert.Equal(["plant/1 a", "plant/2 b"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Clients_that_subscribed_to_a_shared_filter_and_left_leave_no_state_behind()
    {
        // Every client id that ever sent a shared SUBSCRIBE kept an entry, so a stream of clients under new ids grew memory.
        await using var broker = await TestBroker.StartAsync();
        for (var i = 0; i < 50; i++)
        {
            using var client = await broker.ConnectAsync("sharer-" + i.ToString(CultureInfo.InvariantCulture));
            await client.SubscribeAsync("$share/g/jobs/#", cancellationToken: Ct);
            await client.DisconnectAsync(cancellationToken: Ct);
        }
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Clients.Count == 0 ? "" : null));
        Assert.Equal(0, broker.Broker.Features.PendingShareClients);
        Assert.Equal(0, broker.Broker.Features.Directory.ShareGroupCount);
    }
}

using EdgeStream.Ingest.Mqtt.Hosting;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests.Mqtt5;

/// <summary>Deny entries in ACLs (like Mosquitto's <c>topic deny</c>), checked before the allow lists.</summary>
[Trait("Category", "Slow")]
public sealed class DenyAclTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MqttApplicationMessage Message(string topic)
        => new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("x").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    [Fact]
    public async Task A_subscription_inside_a_denied_filter_is_refused_and_a_wider_one_is_granted_without_the_denied_messages()
    {
        await using var broker = await TestBroker.StartAsync(o => o.AnonymousAcl = new MqttAclOptions { DenySubscribe = ["secret/#"] });
        using var subscriber = await broker.ConnectAsync("sub");
        var received = new MessageCollector(subscriber);

        var refused = await subscriber.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("secret/a", MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        Assert.Equal(MqttClientSubscribeResultCode.UnspecifiedError, Assert.Single(refused.Items).ResultCode);
        var granted = await subscriber.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("#", MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, Assert.Single(granted.Items).ResultCode);

        using var publisher = await broker.ConnectAsync("pub");
        await publisher.PublishAsync(Message("secret/a"), Ct);
        await publisher.PublishAsync(Message("public/b"), Ct);
        // One publisher, QoS 1: the subscriber gets its messages in publish order, so once public/b is here,
        // secret/a would have arrived before it had it been delivered.
        await received.WaitForTopicAsync("public/b");
        Assert.Equal(["public/b"], received.Topics);
        // Stored all the same: the deny entry is about who may read, not what is kept.
        Assert.Equal(2, (await broker.ReadAllAsync("mqtt")).Count);
    }

    [Fact]
    public async Task A_publish_to_a_denied_topic_is_refused_with_not_authorized_even_when_the_allow_list_covers_it()
    {
        await using var broker = await TestBroker.StartAsync(o => o.AnonymousAcl = new MqttAclOptions { Publish = ["#"], DenyPublish = ["cmd/#"] });
        using var client = await broker.ConnectAsync("dev");
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, (await client.PublishAsync(Message("cmd/reboot"), Ct)).ReasonCode);
        Assert.True((await client.PublishAsync(Message("data/t"), Ct)).IsSuccess);
        Assert.Single(await broker.ReadAllAsync("mqtt"));
    }

    [Fact]
    public async Task Mosquitto_sub_on_hash_does_not_see_the_denied_topic()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/mosquitto_sub"), "mosquitto-clients is not installed (test.sh installs it)");
        await using var broker = await TestBroker.StartAsync(o => o.AnonymousAcl = new MqttAclOptions { DenySubscribe = ["test/nosubscribe"] });
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        broker.Broker.Server.ClientSubscribedTopicAsync += _ =>
        {
            subscribed.TrySetResult();
            return Task.CompletedTask;
        };
        var port = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var sub = ExternalProcess.RunAsync("mosquitto_sub", ["-h", "127.0.0.1", "-p", port, "-V", "mqttv5", "-t", "#", "-q", "1", "-C", "1", "-W", "20", "-v"], TimeSpan.FromSeconds(25));
        await subscribed.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        using var publisher = await broker.ConnectAsync("pub");
        await publisher.PublishAsync(Message("test/nosubscribe"), Ct);
        await publisher.PublishAsync(Message("test/ok"), Ct);
        var (code, stdout, stderr) = await sub;
        Assert.True(code == 0, stderr);
        Assert.Equal("test/ok x", stdout.Trim());
    }

    [Fact]
    public void A_malformed_deny_entry_is_reported_with_its_key()
    {
        var errors = new MqttIngestOptionsValidator().Validate(null, new MqttIngestOptions { AnonymousAcl = new MqttAclOptions { DenySubscribe = ["a/#/b"] } }).Failures ?? [];
        Assert.Contains(errors, e => e.StartsWith("Mqtt:AnonymousAcl:DenySubscribe:0", StringComparison.Ordinal));
    }
}

using EdgeStream.Ingest.Mqtt.Auth;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests;

/// <summary>Every limit and auth failure answers with its reason code (MQTT 5) or a disconnect (3.1.1), and stores nothing.</summary>
public sealed class LimitsAndAuthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MqttApplicationMessage Qos1(string topic, int payloadBytes = 4)
        => new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(new byte[payloadBytes]).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    private static async Task<MqttClientDisconnectedEventArgs> PublishExpectingDisconnectAsync(IMqttClient client, MqttApplicationMessage message)
    {
        var disconnected = new TaskCompletionSource<MqttClientDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e);
            return Task.CompletedTask;
        };
        var publish = client.PublishAsync(message, Ct);
        var args = await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await Assert.ThrowsAnyAsync<Exception>(() => publish.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        return args;
    }

    [Fact]
    public async Task An_oversized_payload_gets_disconnect_0x95_on_mqtt5()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxPayloadBytes = 1024);
        using var client = await broker.ConnectAsync("big");
        var args = await PublishExpectingDisconnectAsync(client, Qos1("t", 2048));
        Assert.Equal(MqttClientDisconnectReason.PacketTooLarge, args.Reason);
        Assert.Empty(await broker.ReadAllAsync("mqtt"));
    }

    [Fact]
    public async Task An_oversized_payload_disconnects_an_mqtt311_client()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxPayloadBytes = 1024);
        using var client = await broker.ConnectAsync("big311", MqttProtocolVersion.V311);
        await PublishExpectingDisconnectAsync(client, Qos1("t", 2048));
        Assert.Empty(await broker.ReadAllAsync("mqtt"));
    }

    [Fact]
    public async Task A_too_long_topic_gets_0x90()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxTopicLength = 16);
        using var client = await broker.ConnectAsync("long");
        var result = await client.PublishAsync(Qos1(new string('a', 17)), Ct);
        Assert.Equal(MqttClientPublishReasonCode.TopicNameInvalid, result.ReasonCode);
        Assert.True((await client.PublishAsync(Qos1(new string('a', 16)), Ct)).IsSuccess);
        Assert.Single(await broker.ReadAllAsync("mqtt"));
    }

    [Fact]
    public async Task A_route_producing_an_invalid_log_topic_gets_0x90()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Routes = [new() { Filter = "raw/+", Topic = "{1}" }]);
        using var client = await broker.ConnectAsync("raw");
        Assert.Equal(MqttClientPublishReasonCode.TopicNameInvalid, (await client.PublishAsync(Qos1("raw/.."), Ct)).ReasonCode);
        Assert.True((await client.PublishAsync(Qos1("raw/fine"), Ct)).IsSuccess);
        Assert.Single(await broker.ReadAllAsync("fine"));
    }

    [Fact]
    public async Task A_device_cannot_route_its_messages_into_a_dead_letter_topic()
    {
        // Dead-letter topics are never deleted by retention and not forwarded: a device writing there could fill the disk.
        await using var broker = await TestBroker.StartAsync(o => o.Routes = [new() { Filter = "site/+/metrics", Topic = "metrics-{1}" }]);
        using var client = await broker.ConnectAsync("site");
        Assert.Equal(MqttClientPublishReasonCode.TopicNameInvalid, (await client.PublishAsync(Qos1("site/a.dlq/metrics"), Ct)).ReasonCode);
        Assert.True((await client.PublishAsync(Qos1("site/a/metrics"), Ct)).IsSuccess);
        Assert.Null(broker.Store.GetTopic("metrics-a.dlq"));
        Assert.Single(await broker.ReadAllAsync("metrics-a"));
    }

    [Fact]
    public async Task A_device_creating_a_topic_per_message_gets_0x97_once_the_log_holds_MaxTopics()
    {
        await using var broker = await TestBroker.StartAsync(
            o => o.Routes = [new() { Filter = "site/+/metrics", Topic = "metrics-{1}" }],
            logOptions: new EdgeStream.Log.LogOptions { CommitPolicy = "group", MaxTopics = 2 });
        using var client = await broker.ConnectAsync("spray");
        Assert.True((await client.PublishAsync(Qos1("site/a/metrics"), Ct)).IsSuccess);
        Assert.True((await client.PublishAsync(Qos1("site/b/metrics"), Ct)).IsSuccess);
        Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, (await client.PublishAsync(Qos1("site/c/metrics"), Ct)).ReasonCode);
        Assert.True((await client.PublishAsync(Qos1("site/a/metrics"), Ct)).IsSuccess);
        Assert.Equal(2, (await broker.ReadAllAsync("metrics-a")).Count);
        Assert.Null(broker.Store.GetTopic("metrics-c"));
    }

    [Fact]
    public async Task The_publish_rate_limit_gets_0x97_on_mqtt5_and_a_disconnect_on_mqtt311()
    {
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.Limits.PublishRatePerSecond = 0.001; // one token, refilled every ~17 minutes: deterministic within a test
            o.Limits.PublishBurst = 1;
        });
        using var v5 = await broker.ConnectAsync("rate5");
        Assert.True((await v5.PublishAsync(Qos1("t"), Ct)).IsSuccess);
        Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, (await v5.PublishAsync(Qos1("t"), Ct)).ReasonCode);

        using var v3 = await broker.ConnectAsync("rate3", MqttProtocolVersion.V311);
        Assert.True((await v3.PublishAsync(Qos1("t"), Ct)).IsSuccess);
        await PublishExpectingDisconnectAsync(v3, Qos1("t"));
        Assert.Equal(2, (await broker.ReadAllAsync("mqtt")).Count);
    }

    [Fact]
    public async Task A_client_exceeding_the_announced_receive_maximum_is_disconnected_with_0x93()
    {
        GatedIngestLog? gate = null;
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxInFlightPerClient = 3, log => gate = new GatedIngestLog(log));
        var intercepted = 0;
        broker.Broker.Server.InterceptingPublishAsync += _ =>
        {
            Interlocked.Increment(ref intercepted);
            return Task.CompletedTask;
        };
        var client = new MqttClientFactory().CreateMqttClient();
        var connected = await client.ConnectAsync(broker.ClientOptions("window").Build(), Ct);
        Assert.Equal((ushort)3, connected.ReceiveMaximum);
        var disconnected = new TaskCompletionSource<MqttClientDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e);
            return Task.CompletedTask;
        };
        // MQTTnet's client does not enforce the server's Receive Maximum, so it can overrun it like a hostile client.
        var publishes = Enumerable.Range(0, 4).Select(_ => client.PublishAsync(Qos1("t"), Ct)).ToList();
        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref intercepted) == 4 ? "" : null));
        var args = await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(MqttClientDisconnectReason.ReceiveMaximumExceeded, args.Reason);
        gate!.Release();
        Assert.Equal(3, (await broker.ReadAllAsync("mqtt")).Count);
        // The connection is gone: none of the four can have been acknowledged (the pending ones fail on dispose).
        Assert.DoesNotContain(publishes, p => p.IsCompletedSuccessfully);
        client.Dispose();
    }

    [Fact]
    public async Task Connections_beyond_the_limit_are_refused_with_quota_exceeded()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxConnections = 1);
        using var first = await broker.ConnectAsync("first");
        using var second = new MqttClientFactory().CreateMqttClient();
        Assert.Equal(MqttClientConnectResultCode.QuotaExceeded, await ConnectResultAsync(second, broker.ClientOptions("second").Build()));
    }

    [Fact]
    public async Task A_burst_of_connects_gets_exactly_the_connection_limit_in_and_the_rest_quota_exceeded()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxConnections = 3);
        var clients = Enumerable.Range(0, 20).Select(_ => new MqttClientFactory().CreateMqttClient()).ToList();
        try
        {
            var results = await Task.WhenAll(clients.Select((c, i) => ConnectResultAsync(c, broker.ClientOptions($"burst-{i}").Build())));

            Assert.Equal(3, results.Count(r => r == MqttClientConnectResultCode.Success));
            Assert.All(results.Where(r => r != MqttClientConnectResultCode.Success), r => Assert.Equal(MqttClientConnectResultCode.QuotaExceeded, r));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    /// <summary>The CONNACK result code, whether MQTTnet returns it or throws with it.</summary>
    internal static async Task<MqttClientConnectResultCode> ConnectResultAsync(IMqttClient client, MqttClientOptions options)
    {
        try
        {
            return (await client.ConnectAsync(options, Ct)).ResultCode;
        }
        catch (MqttConnectingFailedException e)
        {
            var property = e.GetType().GetProperty("ResultCode") ?? throw new InvalidOperationException("no result code", e);
            return (MqttClientConnectResultCode)property.GetValue(e)!;
        }
    }

    private static MqttIngestOptions WithUsers(MqttIngestOptions o)
    {
        o.AllowAnonymous = false;
        o.Users =
        [
            new() { Username = "alice", PasswordHash = PasswordHasher.Hash("wonderland", 1000), Acl = new() { Publish = ["devices/{username}/#"], Subscribe = ["cmd/{clientid}/#"] } },
        ];
        return o;
    }

    [Theory]
    [InlineData(null, null, MqttClientConnectResultCode.NotAuthorized)]
    [InlineData("alice", "wrong", MqttClientConnectResultCode.BadUserNameOrPassword)]
    [InlineData("mallory", "wonderland", MqttClientConnectResultCode.BadUserNameOrPassword)]
    public async Task Bad_or_missing_credentials_are_refused(string? user, string? password, MqttClientConnectResultCode expected)
    {
        await using var broker = await TestBroker.StartAsync(o => WithUsers(o));
        using var client = new MqttClientFactory().CreateMqttClient();
        var builder = broker.ClientOptions("who");
        if (user is not null)
        {
            builder.WithCredentials(user, password);
        }
        Assert.Equal(expected, await ConnectResultAsync(client, builder.Build()));
    }

    [Fact]
    public async Task A_user_publishes_only_where_the_acl_allows_0x87_elsewhere()
    {
        await using var broker = await TestBroker.StartAsync(o => WithUsers(o));
        using var client = await broker.ConnectAsync("a1", configure: b => b.WithCredentials("alice", "wonderland"));
        Assert.True((await client.PublishAsync(Qos1("devices/alice/temp"), Ct)).IsSuccess);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, (await client.PublishAsync(Qos1("devices/bob/temp"), Ct)).ReasonCode);
        Assert.Single(await broker.ReadAllAsync("mqtt"));
    }

    [Fact]
    public async Task An_acl_violation_disconnects_an_mqtt311_client()
    {
        await using var broker = await TestBroker.StartAsync(o => WithUsers(o));
        using var client = await broker.ConnectAsync("a311", MqttProtocolVersion.V311, b => b.WithCredentials("alice", "wonderland"));
        await PublishExpectingDisconnectAsync(client, Qos1("devices/bob/temp"));
        Assert.Empty(await broker.ReadAllAsync("mqtt"));
    }

    [Fact]
    public async Task Subscriptions_outside_the_acl_are_refused_with_unspecified_error_so_the_acl_is_not_revealed()
    {
        await using var broker = await TestBroker.StartAsync(o => WithUsers(o));
        using var client = await broker.ConnectAsync("a2", configure: b => b.WithCredentials("alice", "wonderland"));
        var result = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("cmd/a2/#").WithTopicFilter("cmd/#").Build(), Ct);
        Assert.Equal([MqttClientSubscribeResultCode.GrantedQoS0, MqttClientSubscribeResultCode.UnspecifiedError], result.Items.Select(i => i.ResultCode));
    }

    [Fact]
    public async Task Subscriptions_outside_the_acl_are_not_authorized_when_denials_may_be_revealed()
    {
        await using var broker = await TestBroker.StartAsync(o =>
        {
            WithUsers(o);
            o.RevealSubscribeDenials = true;
        });
        using var client = await broker.ConnectAsync("a2", configure: b => b.WithCredentials("alice", "wonderland"));
        var result = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("cmd/a2/#").WithTopicFilter("cmd/#").Build(), Ct);
        Assert.Equal([MqttClientSubscribeResultCode.GrantedQoS0, MqttClientSubscribeResultCode.NotAuthorized], result.Items.Select(i => i.ResultCode));
    }

    [Fact]
    public async Task A_denied_subscription_of_an_mqtt311_client_gets_failure_0x80()
    {
        await using var broker = await TestBroker.StartAsync(o =>
        {
            WithUsers(o);
            o.RevealSubscribeDenials = true;
        });
        using var client = await broker.ConnectAsync("a3", MqttProtocolVersion.V311, b => b.WithCredentials("alice", "wonderland"));
        var result = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("cmd/#").Build(), Ct);
        Assert.Equal(MqttClientSubscribeResultCode.UnspecifiedError, Assert.Single(result.Items).ResultCode);
    }

    [Fact]
    public async Task A_session_at_the_subscription_limit_gets_0x97_for_a_new_filter_but_may_resubscribe_and_subscribe_after_unsubscribing()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxSubscriptionsPerClient = 3);
        using var client = await broker.ConnectAsync("subs");
        using var publisher = await broker.ConnectAsync("subs-pub");
        var result = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("a/1").WithTopicFilter("$share/g/a/2").WithTopicFilter("a/3").WithTopicFilter("a/4").Build(), Ct);
        Assert.Equal([MqttClientSubscribeResultCode.GrantedQoS0, MqttClientSubscribeResultCode.GrantedQoS0, MqttClientSubscribeResultCode.GrantedQoS0,
            MqttClientSubscribeResultCode.QuotaExceeded], result.Items.Select(i => i.ResultCode));
        // The refused filter was not subscribed in MQTTnet either.
        Assert.Equal(MqttClientPublishReasonCode.NoMatchingSubscribers, (await publisher.PublishAsync(Qos1("a/4"), Ct)).ReasonCode);

        // A filter the session holds already is not a new subscription.
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, Assert.Single((await client.SubscribeAsync("a/1", MqttQualityOfServiceLevel.AtLeastOnce, Ct)).Items).ResultCode);
        await client.UnsubscribeAsync("a/3", Ct);
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS0, Assert.Single((await client.SubscribeAsync("a/4", cancellationToken: Ct)).Items).ResultCode);
        Assert.Equal(MqttClientSubscribeResultCode.QuotaExceeded, Assert.Single((await client.SubscribeAsync("a/5", cancellationToken: Ct)).Items).ResultCode);
        Assert.Equal(3, broker.Broker.Features.Directory.SubscriptionCount());
    }

    [Fact]
    public async Task An_mqtt311_subscription_beyond_the_limit_gets_failure_0x80()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxSubscriptionsPerClient = 1);
        using var client = await broker.ConnectAsync("subs311", MqttProtocolVersion.V311);
        var result = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("a/1").WithTopicFilter("a/2").Build(), Ct);
        Assert.Equal([MqttClientSubscribeResultCode.GrantedQoS0, MqttClientSubscribeResultCode.UnspecifiedError], result.Items.Select(i => i.ResultCode));
    }

    private static MqttApplicationMessage Retained(string topic, int payloadBytes)
        => new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(new byte[payloadBytes]).WithRetainFlag()
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    [Fact]
    public async Task Retained_messages_beyond_the_count_or_byte_limit_get_0x97_while_replacing_and_clearing_one_still_work()
    {
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.Limits.MaxRetainedMessages = 3;
            o.Limits.MaxRetainedBytes = 1000;
        });
        using var client = await broker.ConnectAsync("ret");
        async Task<MqttClientPublishReasonCode> Publish(MqttApplicationMessage m) => (await client.PublishAsync(m, Ct)).ReasonCode;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(MqttClientPublishReasonCode.NoMatchingSubscribers, await Publish(Retained($"r/{i}", 100)));
        }
        Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, await Publish(Retained("r/3", 100)));
        Assert.Equal(MqttClientPublishReasonCode.NoMatchingSubscribers, await Publish(Retained("r/0", 200))); // a replacement
        Assert.Equal(MqttClientPublishReasonCode.NoMatchingSubscribers, await Publish(Retained("r/0", 0))); // clears r/0
        Assert.Equal(MqttClientPublishReasonCode.NoMatchingSubscribers, await Publish(Retained("r/3", 100)));
        // 100 (r/2) + 100 (r/3) + 900 would exceed the 1000 bytes.
        Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, await Publish(Retained("r/1", 900)));
        Assert.Equal(MqttClientPublishReasonCode.NoMatchingSubscribers, await Publish(Qos1("r/4", 900))); // not retained: no bound
        Assert.Equal(["r/1", "r/2", "r/3"], (await broker.Broker.Server.GetRetainedMessagesAsync()).Select(m => m.Topic).Order());
        Assert.Equal(7, (await broker.ReadAllAsync("mqtt")).Count); // the refused ones are not stored
    }

    [Fact]
    public async Task Retained_messages_count_their_topic_and_properties_against_the_byte_limit_not_only_their_payload()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxRetainedBytes = 10_000);
        using var client = await broker.ConnectAsync("props");
        // One payload byte each, but 6,000 bytes of user property that MQTTnet keeps with the retained message.
        MqttApplicationMessage Heavy(string topic) => new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("x").WithRetainFlag()
            .WithUserProperty("blob", new ReadOnlyMemory<byte>(new byte[6000])).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

        Assert.Equal(MqttClientPublishReasonCode.NoMatchingSubscribers, (await client.PublishAsync(Heavy("r/a"), Ct)).ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, (await client.PublishAsync(Heavy("r/b"), Ct)).ReasonCode);
        Assert.InRange(broker.Broker.RetainedLimit.Bytes, 6000, 10_000);
    }

    [Fact]
    public async Task An_mqtt311_retained_publish_beyond_the_limit_disconnects_and_is_not_stored()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxRetainedMessages = 1);
        using var client = await broker.ConnectAsync("ret311", MqttProtocolVersion.V311);
        await client.PublishAsync(Retained("r/0", 10), Ct);
        await PublishExpectingDisconnectAsync(client, Retained("r/1", 10));
        Assert.Single(await broker.ReadAllAsync("mqtt"));
        Assert.Equal("r/0", Assert.Single(await broker.Broker.Server.GetRetainedMessagesAsync()).Topic);
    }
}

using System.Globalization;
using EdgeStream.Ingest.Mqtt.Hosting;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using EdgeStream.Ingest.Mqtt.Tests.Mqtt5;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests;

/// <summary>
/// <c>$SYS/broker/...</c> statistics with real MQTTnet clients (and mosquitto_sub): Mosquitto's names, published at
/// <c>Mqtt:SysInterval</c> (200 ms here), only when changed, never stored, never to wildcard or ACL-denied subscribers,
/// and not writable by clients.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SysTopicTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<TestBroker> StartAsync(Action<MqttIngestOptions>? configure = null, ISinkLagSource? sinkLags = null, ListLogger? logger = null)
        => TestBroker.StartAsync(o =>
        {
            o.SysInterval = Interval;
            configure?.Invoke(o);
        }, logger: logger, sinkLags: sinkLags);

    private static async Task<MqttClientSubscribeResult> SubscribeAsync(IMqttClient client, string filter)
        => await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter).Build(), Ct);

    private static string? Latest(MessageCollector collector, string topic)
        => collector.Messages.LastOrDefault(m => m.Topic == topic)?.ConvertPayloadToString();

    private static long LatestNumber(MessageCollector collector, string topic)
        => Latest(collector, topic) is { } value ? long.Parse(value, CultureInfo.InvariantCulture) : -1;

    [Fact]
    public async Task A_subscriber_to_clients_connected_sees_the_count_change_when_a_second_client_connects()
    {
        await using var broker = await StartAsync();
        using var watcher = await broker.ConnectAsync("watcher");
        var seen = new MessageCollector(watcher);
        await SubscribeAsync(watcher, "$SYS/broker/clients/connected");
        await seen.WaitUntilAsync(() => Latest(seen, "$SYS/broker/clients/connected") == "1");

        using var second = await broker.ConnectAsync("second");
        await seen.WaitUntilAsync(() => Latest(seen, "$SYS/broker/clients/connected") == "2");
        await second.DisconnectAsync(cancellationToken: Ct);
        await seen.WaitUntilAsync(() => Latest(seen, "$SYS/broker/clients/connected") == "1");
        Assert.All(seen.Messages, m => Assert.Equal("$SYS/broker/clients/connected", m.Topic));
    }

    [Fact]
    public async Task Store_bytes_count_the_retained_payloads_and_the_copies_queued_for_an_offline_session()
    {
        await using var broker = await StartAsync();
        using (var offline = await broker.ConnectAsync("offline", configure: b => b.WithCleanStart(false).WithSessionExpiryInterval(600)))
        {
            await offline.SubscribeAsync("plant/#", MqttQualityOfServiceLevel.AtLeastOnce, Ct);
            await offline.DisconnectAsync(cancellationToken: Ct);
        }
        using var watcher = await broker.ConnectAsync("watcher");
        var seen = new MessageCollector(watcher);
        await SubscribeAsync(watcher, "$SYS/broker/store/messages/bytes");

        using var publisher = await broker.ConnectAsync("publisher");
        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("plant/state").WithPayload(new byte[1000]).WithRetainFlag()
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);

        // The retained message (1000 payload bytes and its 11-character topic) and the offline session's copy of it.
        await seen.WaitUntilAsync(() => LatestNumber(seen, "$SYS/broker/store/messages/bytes") >= 2 * 1011);
    }

    [Fact]
    public async Task Message_and_byte_counters_rise_after_publishes_and_nothing_from_sys_reaches_the_log()
    {
        await using var broker = await StartAsync();
        using var watcher = await broker.ConnectAsync("watcher");
        var seen = new MessageCollector(watcher);
        await SubscribeAsync(watcher, "$SYS/#");
        await seen.WaitUntilAsync(() => LatestNumber(seen, "$SYS/broker/publish/messages/received") == 0);
        var bytesBefore = LatestNumber(seen, "$SYS/broker/bytes/received");
        var packetsBefore = LatestNumber(seen, "$SYS/broker/messages/received");

        using var publisher = await broker.ConnectAsync("publisher");
        for (var i = 0; i < 3; i++)
        {
            var ack = await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"plant/{i}").WithPayload("21.5")
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
            Assert.True(ack.IsSuccess);
        }

        // One round's topics arrive one after another: wait for every counter checked here, not just the first.
        await seen.WaitUntilAsync(() => LatestNumber(seen, "$SYS/broker/publish/messages/received") == 3
            && LatestNumber(seen, "$SYS/broker/bytes/received") > bytesBefore
            && LatestNumber(seen, "$SYS/broker/messages/received") >= packetsBefore + 4 // CONNECT and three PUBLISH at least
            && LatestNumber(seen, "$SYS/broker/edgestream/log/bytes") > 0);
        Assert.True(LatestNumber(seen, "$SYS/broker/publish/messages/sent") > 0); // the statistics themselves went out to the watcher
        Assert.StartsWith("EdgeStream version ", Latest(seen, "$SYS/broker/version"), StringComparison.Ordinal);
        Assert.EndsWith(" seconds", Latest(seen, "$SYS/broker/uptime"), StringComparison.Ordinal);

        // Only the three device messages were stored: the statistics are no device's data.
        var topics = broker.Store.GetTopics().Select(t => t.Name).ToList();
        Assert.Equal(["mqtt"], topics);
        var stored = await broker.ReadAllAsync("mqtt");
        Assert.Equal(["plant/0", "plant/1", "plant/2"], stored.Select(r => System.Text.Encoding.UTF8.GetString(r.GetHeader("mqtt.topic")!.Value.Span)).Order());
    }

    [Fact]
    public async Task Only_changed_values_are_published()
    {
        await using var broker = await StartAsync();
        using var watcher = await broker.ConnectAsync("watcher");
        var seen = new MessageCollector(watcher);
        await SubscribeAsync(watcher, "$SYS/broker/version");
        await SubscribeAsync(watcher, "$SYS/broker/uptime");
        // The uptime changes once a second: wait for two further values, i.e. well over five rounds.
        await seen.WaitUntilAsync(() => seen.Messages.Count(m => m.Topic == "$SYS/broker/uptime") >= 3);
        Assert.Single(seen.Messages, m => m.Topic == "$SYS/broker/version");
        var uptimes = seen.Messages.Where(m => m.Topic == "$SYS/broker/uptime").Select(m => m.ConvertPayloadToString()).ToList();
        Assert.Equal(uptimes.Count, uptimes.Distinct().Count());
    }

    [Fact]
    public async Task Wildcard_subscriptions_starting_with_hash_or_plus_receive_no_sys_topics()
    {
        await using var broker = await StartAsync();
        using var control = await broker.ConnectAsync("control");
        var controlSeen = new MessageCollector(control);
        await SubscribeAsync(control, "$SYS/#");
        await controlSeen.WaitForTopicAsync("$SYS/broker/version"); // retained statistics exist from here on

        using var wildcard = await broker.ConnectAsync("wildcard");
        var wildcardSeen = new MessageCollector(wildcard);
        await SubscribeAsync(wildcard, "#");
        await SubscribeAsync(wildcard, "+/broker/#");
        await SubscribeAsync(wildcard, "+/+/clients/connected");

        using var third = await broker.ConnectAsync("third");
        await controlSeen.WaitUntilAsync(() => Latest(controlSeen, "$SYS/broker/clients/connected") == "3");
        // Published after that statistic was queued for every matching session: once it arrives, a $SYS message queued
        // for the wildcard subscriber before it would have arrived too.
        await third.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("a/b").WithPayload("x").Build(), Ct);
        await wildcardSeen.WaitForTopicAsync("a/b");
        Assert.Equal(["a/b"], wildcardSeen.Topics);
    }

    [Fact]
    public async Task An_acl_denied_subscriber_gets_no_statistics_neither_retained_nor_live()
    {
        await using var broker = await StartAsync(o => o.AnonymousAcl = new MqttAclOptions { DenySubscribe = ["$SYS/broker/clients/#"] });
        using var client = await broker.ConnectAsync("curious");
        var seen = new MessageCollector(client);
        var refused = await SubscribeAsync(client, "$SYS/broker/clients/connected");
        Assert.Equal(MqttClientSubscribeResultCode.UnspecifiedError, Assert.Single(refused.Items).ResultCode);

        // A wider subscription is granted, and the denied topics are withheld from it.
        var granted = await SubscribeAsync(client, "$SYS/#");
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS0, Assert.Single(granted.Items).ResultCode);
        await seen.WaitForTopicAsync("$SYS/broker/messages/received");
        var before = LatestNumber(seen, "$SYS/broker/messages/received");
        using var second = await broker.ConnectAsync("second");
        // A round publishes clients/* before messages/received: a newer messages/received means clients/connected
        // went out (to whom it may concern) before it.
        await seen.WaitUntilAsync(() => LatestNumber(seen, "$SYS/broker/messages/received") > before);
        Assert.DoesNotContain(seen.Topics, t => t.StartsWith("$SYS/broker/clients/", StringComparison.Ordinal));
        Assert.Contains("$SYS/broker/version", seen.Topics);
    }

    [Fact]
    public async Task A_client_allowed_to_subscribe_only_elsewhere_cannot_subscribe_to_sys()
    {
        await using var broker = await StartAsync(o => o.AnonymousAcl = new MqttAclOptions { Subscribe = ["plant/#"] });
        using var client = await broker.ConnectAsync("device");
        var refused = await SubscribeAsync(client, "$SYS/#");
        Assert.Equal(MqttClientSubscribeResultCode.UnspecifiedError, Assert.Single(refused.Items).ResultCode);
    }

    [Fact]
    public async Task A_client_publish_to_sys_is_refused_and_neither_stored_nor_delivered()
    {
        await using var broker = await StartAsync();
        using var watcher = await broker.ConnectAsync("watcher");
        var seen = new MessageCollector(watcher);
        await SubscribeAsync(watcher, "$SYS/broker/clients/connected");
        await seen.WaitUntilAsync(() => Latest(seen, "$SYS/broker/clients/connected") == "1");

        using var forger = await broker.ConnectAsync("forger");
        var ack = await forger.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("$SYS/broker/clients/connected").WithPayload("999")
            .WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, ack.ReasonCode);
        var other = await forger.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("$SYS/x").WithPayload("1")
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, other.ReasonCode);

        await seen.WaitUntilAsync(() => Latest(seen, "$SYS/broker/clients/connected") == "2");
        Assert.DoesNotContain(seen.Messages, m => m.ConvertPayloadToString() == "999");
        Assert.Equal("2", (await broker.Broker.Server.GetRetainedMessageAsync("$SYS/broker/clients/connected")).ConvertPayloadToString());
        Assert.Null(await broker.Broker.Server.GetRetainedMessageAsync("$SYS/x"));
        Assert.Empty(broker.Store.GetTopics());
    }

    [Fact]
    public async Task An_mqtt311_client_publishing_to_sys_is_disconnected_like_any_acl_violation()
    {
        await using var broker = await StartAsync();
        using var forger = await broker.ConnectAsync("forger311", MqttProtocolVersion.V311);
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        forger.DisconnectedAsync += _ =>
        {
            disconnected.TrySetResult();
            return Task.CompletedTask;
        };
        try
        {
            await forger.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("$SYS/broker/uptime").WithPayload("0 seconds")
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        }
        catch (MQTTnet.Exceptions.MqttCommunicationException)
        {
            // The connection closed before the acknowledgement: expected.
        }
        await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Empty(broker.Store.GetTopics());
    }

    [Fact]
    public async Task Statistics_are_not_queued_for_a_disconnected_session()
    {
        await using var broker = await StartAsync();
        using var watcher = await broker.ConnectAsync("watcher");
        var watched = new MessageCollector(watcher);
        await SubscribeAsync(watcher, "$SYS/broker/clients/connected");

        using var offline = await broker.ConnectAsync("offline", configure: b => b.WithCleanStart(false).WithSessionExpiryInterval(300));
        var seen = new MessageCollector(offline);
        await SubscribeAsync(offline, "$SYS/broker/clients/connected");
        await seen.WaitUntilAsync(() => Latest(seen, "$SYS/broker/clients/connected") == "2");
        await offline.DisconnectAsync(cancellationToken: Ct);
        // "1" is published once the session is offline: it matches the session's subscription but is not queued there,
        // so statistics never fill the offline queues (Mqtt:Sessions:MaxQueuedMessagesTotal) meant for device messages.
        await watched.WaitUntilAsync(() => Latest(watched, "$SYS/broker/clients/connected") == "1");
        var session = await broker.Broker.Server.GetSessionAsync("offline");
        Assert.NotNull(session);
        Assert.Equal(0, session.PendingApplicationMessagesCount);
    }

    [Fact]
    public async Task Each_sinks_lag_is_published_from_the_hosts_source()
    {
        var lags = new MutableSinkLags();
        lags.Set("kafka-main", 42);
        await using var broker = await StartAsync(sinkLags: lags);
        using var watcher = await broker.ConnectAsync("watcher");
        var seen = new MessageCollector(watcher);
        await SubscribeAsync(watcher, "$SYS/broker/edgestream/sinks/+/lag");
        await seen.WaitUntilAsync(() => Latest(seen, "$SYS/broker/edgestream/sinks/kafka-main/lag") == "42");
        lags.Set("kafka-main", 7);
        await seen.WaitUntilAsync(() => Latest(seen, "$SYS/broker/edgestream/sinks/kafka-main/lag") == "7");
    }

    [Fact]
    public async Task A_value_published_while_a_subscription_is_being_added_reaches_that_subscriber_in_a_later_round()
    {
        // MQTTnet reads the retained messages for a SUBSCRIBE before it adds the subscription, so a value published in
        // between reaches the subscriber neither as retained nor live. The interception that runs in that gap holds the
        // subscription here until such a value is out; published only when changed, it would never come again.
        var lags = new MutableSinkLags();
        lags.Set("kafka-main", 42);
        await using var broker = await StartAsync(sinkLags: lags);
        const string topic = "$SYS/broker/edgestream/sinks/kafka-main/lag";
        var inGap = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        broker.Broker.Server.InterceptingSubscriptionAsync += async args =>
        {
            if (args.ClientId == "watcher")
            {
                inGap.TrySetResult();
                await release.Task;
            }
        };
        using var watcher = await broker.ConnectAsync("watcher");
        var seen = new MessageCollector(watcher);
        var subscribing = SubscribeAsync(watcher, topic);
        await inGap.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        lags.Set("kafka-main", 7);
        await WaitForRetainedAsync(broker, topic, "7");
        release.SetResult();
        await subscribing;
        await seen.WaitUntilAsync(() => Latest(seen, topic) == "7");
    }

    private static async Task WaitForRetainedAsync(TestBroker broker, string topic, string value)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        while ((await broker.Broker.Server.GetRetainedMessagesAsync()).FirstOrDefault(m => m.Topic == topic)?.ConvertPayloadToString() != value)
        {
            await Task.Delay(20, cts.Token);
        }
    }

    [Fact]
    public async Task A_failing_sink_lag_source_is_logged_once_and_the_other_statistics_still_go_out()
    {
        var logger = new ListLogger();
        await using var broker = await StartAsync(sinkLags: new FailingSinkLags(), logger: logger);
        using var watcher = await broker.ConnectAsync("watcher");
        var seen = new MessageCollector(watcher);
        await SubscribeAsync(watcher, "$SYS/broker/clients/connected");
        await seen.WaitUntilAsync(() => Latest(seen, "$SYS/broker/clients/connected") == "1");
        using var second = await broker.ConnectAsync("second");
        await seen.WaitUntilAsync(() => Latest(seen, "$SYS/broker/clients/connected") == "2");
        Assert.Single(logger.Entries, e => e.Id.Id == 4050);
    }

    [Fact]
    public async Task Mosquitto_sub_reads_the_statistics()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/mosquitto_sub"), "mosquitto-clients is not installed (test.sh installs it)");
        await using var broker = await StartAsync();
        var port = broker.Port.ToString(CultureInfo.InvariantCulture);
        var (code, stdout, stderr) = await ExternalProcess.RunAsync("mosquitto_sub",
            ["-h", "127.0.0.1", "-p", port, "-t", "$SYS/broker/version", "-t", "$SYS/broker/clients/connected", "-C", "2", "-W", "20", "-v"], TimeSpan.FromSeconds(25));
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains(lines, l => l.StartsWith("$SYS/broker/version EdgeStream version ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("$SYS/broker/clients/connected ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("-00:00:01")]
    [InlineData("00:00:00.010")]
    [InlineData("2.00:00:00")]
    public void An_invalid_sys_interval_is_reported_with_its_key(string interval)
    {
        var options = new MqttIngestOptions { SysInterval = TimeSpan.Parse(interval, CultureInfo.InvariantCulture) };
        var errors = new MqttIngestOptionsValidator().Validate(null, options).Failures ?? [];
        Assert.Contains(errors, e => e.StartsWith("Mqtt:SysInterval:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_sys_interval_of_zero_publishes_no_statistics()
    {
        await using var broker = await StartAsync(o => o.SysInterval = TimeSpan.Zero);
        Assert.Null(broker.Broker.Sys);
        using var client = await broker.ConnectAsync("c");
        Assert.Empty(await broker.Broker.Server.GetRetainedMessagesAsync());
    }

    private sealed class MutableSinkLags : ISinkLagSource
    {
        private volatile SinkLag[] _lags = [];

        public void Set(string sink, long lag) => _lags = [new SinkLag(sink, lag)];

        public IEnumerable<SinkLag> GetSinkLags() => _lags;
    }

    private sealed class FailingSinkLags : ISinkLagSource
    {
        public IEnumerable<SinkLag> GetSinkLags() => throw new InvalidOperationException("forwarding is not running");
    }
}

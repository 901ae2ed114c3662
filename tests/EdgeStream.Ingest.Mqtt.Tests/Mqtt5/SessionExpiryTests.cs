using System.Globalization;
using EdgeStream.Ingest.Mqtt.Hosting;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests.Mqtt5;

/// <summary>Session Expiry: sessions and their queued messages go when their interval has passed while disconnected.</summary>
[Trait("Category", "Slow")]
public sealed class SessionExpiryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<bool> SessionExistsAsync(TestBroker broker, string clientId)
        => (await broker.Broker.Server.GetSessionsAsync()).Any(s => s.Id == clientId);

    private static async Task WaitUntilGoneAsync(TestBroker broker, string clientId)
        => await Poll.UntilAsync(async () => await SessionExistsAsync(broker, clientId) ? null : "");

    private static async Task<IMqttClient> ConnectPersistentAsync(TestBroker broker, string id, uint expiry, MqttProtocolVersion version = MqttProtocolVersion.V500)
        => await broker.ConnectAsync(id, version, b => b.WithCleanStart(false).WithCleanSession(false).WithSessionExpiryInterval(expiry));

    [Fact]
    public async Task A_session_is_removed_with_its_queued_messages_once_its_expiry_interval_has_passed()
    {
        var time = new FakeTimeProvider();
        await using var broker = await TestBroker.StartAsync(time: time);
        var client = await ConnectPersistentAsync(broker, "expiring", 60);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("q/#", MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        await client.DisconnectAsync(cancellationToken: Ct);
        client.Dispose();
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Features.Expiry.Countdowns == 1 ? "" : null));

        using var publisher = await broker.ConnectAsync("pub");
        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("q/1").WithPayload("queued").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        Assert.Equal(1, (await broker.Broker.Server.GetSessionAsync("expiring")).PendingApplicationMessagesCount);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(await SessionExistsAsync(broker, "expiring"));
        time.Advance(TimeSpan.FromSeconds(2));
        await WaitUntilGoneAsync(broker, "expiring");

        using var again = new MqttClientFactory().CreateMqttClient();
        var result = await again.ConnectAsync(broker.ClientOptions("expiring").WithCleanStart(false).WithSessionExpiryInterval(60).Build(), Ct);
        Assert.False(result.IsSessionPresent);
    }

    [Fact]
    public async Task A_reconnect_before_expiry_resumes_the_session_and_a_disconnect_interval_replaces_the_connect_one()
    {
        var time = new FakeTimeProvider();
        await using var broker = await TestBroker.StartAsync(time: time);
        var client = await ConnectPersistentAsync(broker, "resume", 10);
        await client.SubscribeAsync("t", MqttQualityOfServiceLevel.AtLeastOnce, Ct);
        await client.DisconnectAsync(new MqttClientDisconnectOptions { SessionExpiryInterval = 100 }, Ct);
        client.Dispose();
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Features.Expiry.Countdowns == 1 ? "" : null));
        time.Advance(TimeSpan.FromSeconds(50)); // past the CONNECT's 10 s, within the DISCONNECT's 100 s
        Assert.True(await SessionExistsAsync(broker, "resume"));

        using var again = new MqttClientFactory().CreateMqttClient();
        var result = await again.ConnectAsync(broker.ClientOptions("resume").WithCleanStart(false).WithSessionExpiryInterval(10).Build(), Ct);
        Assert.True(result.IsSessionPresent);
        Assert.Equal(0, broker.Broker.Features.Expiry.Countdowns);
        time.Advance(TimeSpan.FromSeconds(200)); // connected: no countdown runs
        Assert.True(await SessionExistsAsync(broker, "resume"));
    }

    [Theory]
    [InlineData(5u)]
    [InlineData(0u)]
    public async Task A_disconnect_session_expiry_replaces_the_connect_one_and_zero_ends_the_session_at_once(uint disconnectInterval)
    {
        var time = new FakeTimeProvider();
        await using var broker = await TestBroker.StartAsync(time: time);
        using (var raw = await RawMqtt.OpenAsync(broker.Port))
        {
            // CONNECT asks for 1 s; the DISCONNECT carries its own interval explicitly (MQTTnet's client leaves a 0 out).
            Assert.True(await raw.TrySendAsync(RawMqtt.Connect("dexp", properties: [0x11, 0, 0, 0, 1])));
            Assert.Equal((byte)0x20, (await raw.ReadPacketAsync())?.Type);
            Assert.True(await raw.TrySendAsync(RawMqtt.Packet(0xE0, [0x00, 5, 0x11, 0, 0, 0, (byte)disconnectInterval])));
            Assert.True(await raw.ClosedByBrokerAsync(TimeSpan.FromSeconds(10)));
        }
        if (disconnectInterval == 0)
        {
            await WaitUntilGoneAsync(broker, "dexp");
            return;
        }
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Features.Expiry.Countdowns == 1 ? "" : null));
        time.Advance(TimeSpan.FromSeconds(3)); // past the CONNECT's interval, within the DISCONNECT's
        Assert.True(await SessionExistsAsync(broker, "dexp"));
        time.Advance(TimeSpan.FromSeconds(3));
        await WaitUntilGoneAsync(broker, "dexp");
    }

    [Fact]
    public async Task A_disconnect_interval_longer_than_the_connect_one_keeps_the_session_and_its_queued_messages_past_the_connect_interval()
    {
        var time = new FakeTimeProvider();
        await using var broker = await TestBroker.StartAsync(time: time);
        var client = await ConnectPersistentAsync(broker, "longer", 1);
        await client.SubscribeAsync("q/#", MqttQualityOfServiceLevel.AtLeastOnce, Ct);
        await client.DisconnectAsync(new MqttClientDisconnectOptions { SessionExpiryInterval = 3 }, Ct);
        var disconnected = System.Diagnostics.Stopwatch.StartNew();
        client.Dispose();
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Features.Expiry.Countdowns == 1 ? "" : null));
        using (var publisher = await broker.ConnectAsync("pub"))
        {
            await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("q/1").WithPayload("queued").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        }

        // Not a synchronisation: MQTTnet judged a returning session's age by the wall clock and the CONNECT's 1 s, so
        // real time has to pass the CONNECT's interval (our own expiry runs on the fake clock, moved alike).
        var wait = TimeSpan.FromSeconds(1.5) - disconnected.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, Ct);
        }
        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.True(await SessionExistsAsync(broker, "longer"));

        using (var again = new MqttClientFactory().CreateMqttClient())
        {
            var received = new MessageCollector(again);
            var result = await again.ConnectAsync(broker.ClientOptions("longer").WithCleanStart(false).WithSessionExpiryInterval(1).Build(), Ct);
            Assert.True(result.IsSessionPresent);
            Assert.Equal(0u, result.SessionExpiryInterval); // the client's own interval applies: CONNACK names none
            await received.WaitForTopicAsync("q/1");
            await again.DisconnectAsync(new MqttClientDisconnectOptions { SessionExpiryInterval = 3 }, Ct);
        }
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Features.Expiry.Countdowns == 1 ? "" : null));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(await SessionExistsAsync(broker, "longer"));
        time.Advance(TimeSpan.FromSeconds(2)); // past the DISCONNECT's 3 s
        await WaitUntilGoneAsync(broker, "longer");
        using var last = new MqttClientFactory().CreateMqttClient();
        Assert.False((await last.ConnectAsync(broker.ClientOptions("longer").WithCleanStart(false).WithSessionExpiryInterval(1).Build(), Ct)).IsSessionPresent);
    }

    [Fact]
    public async Task A_disconnect_interval_after_a_connect_without_one_is_a_protocol_error_that_ends_the_session_and_sends_the_will()
    {
        await using var broker = await TestBroker.StartAsync();
        using var watcher = await broker.ConnectAsync("watcher");
        var wills = new MessageCollector(watcher);
        await watcher.SubscribeAsync("will/t", MqttQualityOfServiceLevel.AtLeastOnce, Ct);
        using (var raw = await RawMqtt.OpenAsync(broker.Port))
        {
            // CONNECT: clean start 0, no Session Expiry Interval (0), a will on will/t.
            byte[] body = [.. RawMqtt.Str("MQTT"), 5, 0x04, 0, 60, 0, .. RawMqtt.Str("noexp"), 0, .. RawMqtt.Str("will/t"), .. RawMqtt.Str("bye")];
            Assert.True(await raw.TrySendAsync(RawMqtt.Packet(0x10, body)));
            Assert.Equal((byte)0x20, (await raw.ReadPacketAsync())?.Type);
            Assert.True(await raw.TrySendAsync(RawMqtt.Packet(0xE0, [0x00, 5, 0x11, 0, 0, 0, 10])));
            var answer = await raw.ReadPacketAsync();
            Assert.Equal((byte)0xE0, answer?.Type);
            Assert.Equal((byte)0x82, answer?.Body[0]); // protocol error
            Assert.True(await raw.ClosedByBrokerAsync(TimeSpan.FromSeconds(10)));
        }
        await WaitUntilGoneAsync(broker, "noexp");
        await wills.WaitForTopicAsync("will/t");
        Assert.Equal(0, broker.Broker.Features.Expiry.Countdowns);
    }

    [Fact]
    public async Task An_mqtt311_persistent_session_expires_after_the_default_expiry()
    {
        var time = new FakeTimeProvider();
        await using var broker = await TestBroker.StartAsync(o => o.Sessions.DefaultExpiry = TimeSpan.FromMinutes(5), time: time);
        var client = await ConnectPersistentAsync(broker, "old", 0, MqttProtocolVersion.V311);
        await client.SubscribeAsync("t", MqttQualityOfServiceLevel.AtLeastOnce, Ct);
        await client.DisconnectAsync(cancellationToken: Ct);
        client.Dispose();
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Features.Expiry.Countdowns == 1 ? "" : null));
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.True(await SessionExistsAsync(broker, "old"));
        time.Advance(TimeSpan.FromMinutes(2));
        await WaitUntilGoneAsync(broker, "old");
    }

    [Fact]
    public async Task A_client_asking_more_than_the_maximum_is_told_the_maximum_in_connack()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Sessions.MaxExpiry = TimeSpan.FromHours(1));
        using var client = new MqttClientFactory().CreateMqttClient();
        var result = await client.ConnectAsync(broker.ClientOptions("greedy").WithCleanStart(false).WithSessionExpiryInterval(99999).Build(), Ct);
        Assert.Equal(3600u, result.SessionExpiryInterval);
    }

    [Fact]
    public async Task Mosquitto_sub_session_expiry_property_is_honoured()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/mosquitto_sub"), "mosquitto-clients is not installed (test.sh installs it)");
        var time = new FakeTimeProvider();
        await using var broker = await TestBroker.StartAsync(time: time);
        // -E: exit right after subscribing; the session outlives the connection by its expiry interval.
        var sub = await ExternalProcess.RunAsync("mosquitto_sub", ["-h", "127.0.0.1", "-p", broker.Port.ToString(CultureInfo.InvariantCulture), "-V", "mqttv5", "-i", "mosq-exp",
            "-D", "connect", "session-expiry-interval", "30", "-t", "t", "-q", "1", "-E"], TimeSpan.FromSeconds(20));
        Assert.True(sub.ExitCode == 0, sub.Stderr);
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Features.Expiry.Countdowns == 1 ? "" : null));
        Assert.True(await SessionExistsAsync(broker, "mosq-exp"));
        time.Advance(TimeSpan.FromSeconds(31));
        await WaitUntilGoneAsync(broker, "mosq-exp");
    }

    [Fact]
    public async Task Messages_for_disconnected_sessions_stop_being_queued_at_the_total_cap()
    {
        var time = new FakeTimeProvider();
        await using var broker = await TestBroker.StartAsync(o => { o.Sessions.MaxQueuedMessages = 10; o.Sessions.MaxQueuedMessagesTotal = 12; }, time: time);
        foreach (var id in (string[])["off1", "off2"])
        {
            var client = await ConnectPersistentAsync(broker, id, 600);
            await client.SubscribeAsync("q/#", MqttQualityOfServiceLevel.AtLeastOnce, Ct);
            await client.DisconnectAsync(cancellationToken: Ct);
            client.Dispose();
        }
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Clients.Count == 0 ? "" : null));
        using var publisher = await broker.ConnectAsync("pub");
        for (var i = 0; i < 10; i++)
        {
            await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"q/{i}").WithPayload("x").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        }

        // Ten messages for two offline sessions: 20 within the per-session cap, but only 12 in total.
        var sessions = await broker.Broker.Server.GetSessionsAsync();
        Assert.Equal(12, sessions.Where(s => s.Id.StartsWith("off", StringComparison.Ordinal)).Sum(s => s.PendingApplicationMessagesCount));
        Assert.Equal(10, (await broker.ReadAllAsync("mqtt")).Count); // every message is still stored in the log
    }

    [Fact]
    public async Task A_connect_that_would_start_a_session_beyond_MaxSessions_is_refused_while_resumes_and_clean_sessions_still_get_in()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Sessions.MaxSessions = 2);
        foreach (var id in new[] { "keep-0", "keep-1" })
        {
            var kept = await ConnectPersistentAsync(broker, id, 600);
            await kept.DisconnectAsync(cancellationToken: Ct);
            kept.Dispose();
        }
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Clients.Count == 0 ? "" : null));

        // A session under a new client id, MQTT 5 or 3.1.1, would be the third: refused, and nothing is kept for it.
        using var third = new MqttClientFactory().CreateMqttClient();
        Assert.Equal(MqttClientConnectResultCode.QuotaExceeded, await LimitsAndAuthTests.ConnectResultAsync(third,
            broker.ClientOptions("keep-2").WithCleanStart(false).WithSessionExpiryInterval(600).Build()));
        using var third311 = new MqttClientFactory().CreateMqttClient();
        Assert.NotEqual(MqttClientConnectResultCode.Success, await LimitsAndAuthTests.ConnectResultAsync(third311,
            broker.ClientOptions("keep-3", MqttProtocolVersion.V311).WithCleanSession(false).Build()));
        Assert.False(await SessionExistsAsync(broker, "keep-2"));
        Assert.False(await SessionExistsAsync(broker, "keep-3"));

        // Clean sessions (bounded by the connection limit) and resumed sessions still get in.
        using (await broker.ConnectAsync("clean"))
        {
        }
        using (var resumed = new MqttClientFactory().CreateMqttClient())
        {
            Assert.True((await resumed.ConnectAsync(broker.ClientOptions("keep-0").WithCleanStart(false).WithSessionExpiryInterval(600).Build(), Ct)).IsSessionPresent);
            await resumed.DisconnectAsync(cancellationToken: Ct);
        }
        // A session that ends (here: replaced by one without expiry) makes room for a new one.
        using (await broker.ConnectAsync("keep-0"))
        {
        }
        await WaitUntilGoneAsync(broker, "keep-0");
        using var fourth = await ConnectPersistentAsync(broker, "keep-4", 600);
        Assert.Equal(2, broker.Broker.Features.Expiry.PersistentSessions);
    }

    [Fact]
    public void Session_settings_are_validated_with_their_keys()
    {
        var o = new MqttIngestOptions();
        o.Sessions.DefaultExpiry = TimeSpan.Zero;
        o.Sessions.MaxQueuedMessages = 0;
        o.Sessions.MaxQueuedMessagesTotal = 0;
        o.Sessions.MaxQueuedBytes = 0;
        o.Sessions.MaxQueuedBytesTotal = 0;
        o.Limits.MaxSubscriptionsPerClient = 0;
        o.Limits.MaxRetainedMessages = 0;
        o.Limits.MaxRetainedBytes = 0;
        o.Sessions.MaxSessions = 0;
        var errors = new MqttIngestOptionsValidator().Validate(null, o).Failures ?? [];
        Assert.Contains(errors, e => e.StartsWith("Mqtt:Sessions:DefaultExpiry", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Mqtt:Sessions:MaxQueuedMessages:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Mqtt:Sessions:MaxQueuedMessagesTotal", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Mqtt:Sessions:MaxQueuedBytes:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Mqtt:Sessions:MaxQueuedBytesTotal", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Mqtt:Limits:MaxSubscriptionsPerClient", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Mqtt:Limits:MaxRetainedMessages", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Mqtt:Limits:MaxRetainedBytes", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Mqtt:Sessions:MaxSessions", StringComparison.Ordinal));
    }
}

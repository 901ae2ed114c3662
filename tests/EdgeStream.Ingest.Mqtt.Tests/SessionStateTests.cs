using System.Collections.Concurrent;
using System.Text;
using EdgeStream.Ingest.Mqtt.Auth;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests;

/// <summary>
/// Refused connections leave nothing behind, and client state belongs to a connection, not to a client id: two
/// connections fighting over one id never share ACL, rate or acknowledgements.
/// </summary>
public sealed class SessionStateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MqttApplicationMessage Qos1(string topic, string payload = "x")
        => new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    private static void WithUsers(MqttIngestOptions o)
    {
        o.AllowAnonymous = false;
        o.Users =
        [
            new() { Username = "alice", PasswordHash = PasswordHasher.Hash("wonderland", 1000), Acl = new() { Publish = ["devices/alice/#"] } },
            new() { Username = "bob", PasswordHash = PasswordHasher.Hash("builder", 1000), Acl = new() { Publish = ["devices/bob/#"] } },
        ];
    }

    private static string Password(string user) => user == "alice" ? "wonderland" : "builder";

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Ten_thousand_refused_connects_leave_no_state_and_the_broker_accepts_new_clients()
    {
        await using var broker = await TestBroker.StartAsync(o =>
        {
            WithUsers(o);
            o.Limits.MaxConnections = 64; // above the 16 workers, far below what a leak per refusal would pile up
        });
        var next = -1;
        async Task WorkerAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < 10_000)
            {
                using var raw = await RawMqtt.OpenAsync(broker.Port);
                var (packet, expected) = (i % 4) switch
                {
                    // 3.1.1, empty id, clean session 0: CONNACK 0x02 identifier rejected (MQTT-3.1.3-8).
                    0 => (RawMqtt.Connect("", level: 4, clean: false, user: "alice", password: "wonderland"), (byte?)0x02),
                    1 => (RawMqtt.Connect("c" + i, user: "alice", password: "wrong"), (byte?)0x86), // bad password
                    2 => (RawMqtt.Connect("p" + i, level: 4, protocolName: "MQTX"), (byte?)null),    // not MQTT
                    // 3.1.1, empty id, clean session 1: once refused after registering an assigned id; now accepted, then dropped.
                    _ => (RawMqtt.Connect("", level: 4, clean: true, user: "alice", password: "wonderland"), (byte?)0x00),
                };
                await raw.TrySendAsync(packet);
                var reply = await raw.ReadPacketAsync();
                if (expected is { } code)
                {
                    Assert.Equal((byte)0x20, reply?.Type);
                    Assert.Equal(code, reply!.Value.Body[1]);
                }
                else
                {
                    Assert.Null(reply);
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(WorkerAsync, Ct)));

        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Clients.Count == 0 ? "" : null));
        await Poll.UntilAsync(async () => (await broker.Broker.Server.GetSessionsAsync()).Count == 0 ? "" : null);
        var clients = new List<IMqttClient>();
        for (var i = 0; i < 5; i++)
        {
            clients.Add(await broker.ConnectAsync("good" + i, configure: b => b.WithCredentials("alice", "wonderland")));
        }
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Clients.Count == 5 ? "" : null)); // registered just after CONNACK
        foreach (var c in clients)
        {
            c.Dispose();
        }
    }

    [Fact]
    public async Task An_mqtt311_client_with_an_empty_id_and_clean_session_gets_an_assigned_id_even_after_a_refusal()
    {
        await using var broker = await TestBroker.StartAsync(WithUsers);
        using (var refused = new MqttClientFactory().CreateMqttClient())
        {
            var wrong = broker.ClientOptions("", MqttProtocolVersion.V311).WithCleanSession(true).WithCredentials("alice", "wrong").Build();
            Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await LimitsAndAuthTests.ConnectResultAsync(refused, wrong));
        }
        using var client = new MqttClientFactory().CreateMqttClient();
        var options = broker.ClientOptions("", MqttProtocolVersion.V311).WithCleanSession(true).WithCredentials("alice", "wonderland").Build();
        Assert.Equal(MqttClientConnectResultCode.Success, (await client.ConnectAsync(options, Ct)).ResultCode);
        Assert.True((await client.PublishAsync(Qos1("devices/alice/t"), Ct)).IsSuccess);
        var clientId = Encoding.UTF8.GetString((await broker.ReadAllAsync("mqtt")).Single().GetHeader("mqtt.clientid")!.Value.Span);
        Assert.StartsWith("auto-", clientId, StringComparison.Ordinal);

        using var v5 = new MqttClientFactory().CreateMqttClient();
        var result = await v5.ConnectAsync(broker.ClientOptions("").WithCleanStart(true).WithCredentials("bob", "builder").Build(), Ct);
        Assert.StartsWith("auto-", result.AssignedClientIdentifier, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_being_taken_over_keeps_its_own_acl_and_rate_limit()
    {
        var bobValidated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseBob = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var broker = await TestBroker.StartAsync(o =>
        {
            WithUsers(o);
            o.Limits.PublishRatePerSecond = 0.001; // no refill within the test
            o.Limits.PublishBurst = 2;
        });
        // Runs after EdgeStream's own validation: holds bob's takeover between "validated" and "connected".
        broker.Broker.Server.ValidatingConnectionAsync += async e =>
        {
            if (e.UserName == "bob")
            {
                bobValidated.TrySetResult();
                await releaseBob.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
            }
        };
        using var alice = await broker.ConnectAsync("shared", configure: b => b.WithCredentials("alice", "wonderland").WithCleanStart(false));
        Assert.True((await alice.PublishAsync(Qos1("devices/alice/1"), Ct)).IsSuccess);

        using var bob = new MqttClientFactory().CreateMqttClient();
        var bobConnect = bob.ConnectAsync(broker.ClientOptions("shared").WithCredentials("bob", "builder").WithCleanStart(false).Build(), Ct);
        await bobValidated.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, (await alice.PublishAsync(Qos1("devices/bob/x"), Ct)).ReasonCode);
        Assert.True((await alice.PublishAsync(Qos1("devices/alice/2"), Ct)).IsSuccess);
        Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, (await alice.PublishAsync(Qos1("devices/alice/3"), Ct)).ReasonCode);

        releaseBob.TrySetResult();
        Assert.Equal(MqttClientConnectResultCode.Success, (await bobConnect).ResultCode);
        Assert.True((await bob.PublishAsync(Qos1("devices/bob/1"), Ct)).IsSuccess);
        var topics = (await broker.ReadAllAsync("mqtt")).Select(r => Encoding.UTF8.GetString(r.GetHeader("mqtt.topic")!.Value.Span)).ToList();
        Assert.Equal(["devices/alice/1", "devices/alice/2", "devices/bob/1"], topics);
    }

    [Fact]
    public async Task Hammering_takeover_while_publishing_never_acknowledges_early_nor_crosses_acls()
    {
        DurabilityRecorder? recorder = null;
        await using var broker = await TestBroker.StartAsync(WithUsers, log => recorder = new DurabilityRecorder(log));
        var early = new ConcurrentBag<string>();
        var acked = new ConcurrentBag<string>();

        async Task UserAsync(string user, string other)
        {
            for (var round = 0; round < 15; round++)
            {
                using var client = new MqttClientFactory().CreateMqttClient();
                var options = broker.ClientOptions("shared").WithCredentials(user, Password(user)).WithCleanStart(round % 2 == 0)
                    .WithTimeout(TimeSpan.FromSeconds(5)).Build();
                try
                {
                    if ((await client.ConnectAsync(options, Ct)).ResultCode != MqttClientConnectResultCode.Success)
                    {
                        continue;
                    }
                    var publishes = Enumerable.Range(0, 6).Select(async n =>
                    {
                        var payload = $"{user}-{round}-{n}";
                        var topic = n == 5 ? $"devices/{other}/stolen" : $"devices/{user}/{n}";
                        var result = await client.PublishAsync(Qos1(topic, payload), Ct);
                        if (result.IsSuccess)
                        {
                            // The PUBACK has arrived: the message must be durable by now.
                            if (!recorder!.IsDurable(payload))
                            {
                                early.Add(payload);
                            }
                            acked.Add(payload);
                        }
                    }).ToList();
                    foreach (var p in publishes)
                    {
                        try
                        {
                            await p;
                        }
                        catch (Exception e) when (e is not OperationCanceledException || !Ct.IsCancellationRequested)
                        {
                            // Taken over mid-publish: unacknowledged, which is allowed.
                        }
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !Ct.IsCancellationRequested)
                {
                    // Connect lost to the other user's takeover.
                }
            }
        }
        await Task.WhenAll(UserAsync("alice", "bob"), UserAsync("bob", "alice"));

        Assert.Empty(early);
        Assert.NotEmpty(acked);
        var stored = (await broker.ReadAllAsync("mqtt")).Select(r => (Topic: Encoding.UTF8.GetString(r.GetHeader("mqtt.topic")!.Value.Span), Payload: Encoding.UTF8.GetString(r.Value.Span))).ToList();
        Assert.DoesNotContain(stored, r => r.Topic.EndsWith("/stolen", StringComparison.Ordinal));
        Assert.All(stored, r => Assert.StartsWith(r.Topic.Split('/')[1] + "-", r.Payload, StringComparison.Ordinal));
        Assert.Subset(stored.Select(r => r.Payload).ToHashSet(), acked.ToHashSet());
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Clients.Count == 0 ? "" : null));
    }
}

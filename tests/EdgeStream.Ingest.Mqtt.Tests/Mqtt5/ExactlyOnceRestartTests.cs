using System.Text;
using EdgeStream.Ingest.Mqtt.Hosting;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;

namespace EdgeStream.Ingest.Mqtt.Tests.Mqtt5;

/// <summary>
/// QoS 2 exactly once into the log across a restart of EdgeStream: the broker is disposed between PUBREC and PUBREL
/// and a new one opened over the same log, as after a crash (the in-memory guard starts empty). The kill -9 of the
/// real process is <see cref="ExactlyOnceCrashTests"/>.
/// </summary>
public sealed class ExactlyOnceRestartTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "es-qos2-" + Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public async Task A_qos2_retransmission_after_a_restart_is_acknowledged_but_stored_once(int level)
    {
        await PublishAndRestartAsync("dev-1", "q2", "reading", 7, level);

        var logger = new ListLogger();
        await using var broker = await TestBroker.StartAsync(directory: _directory, logger: logger);
        var (client, sessionPresent) = await RawMqtt311Client.ConnectWithSessionAsync(broker.Port, "dev-1", cleanSession: false, level);
        await using (client)
        {
            Assert.False(sessionPresent); // MQTTnet's sessions are in memory: the client retransmits anyway (Paho does)
            await client.PublishQos2Async("q2", "reading", 7, dup: true);
            await client.ExpectAsync(RawMqtt311Client.PubRec, 7);
            await client.PublishQos2Async("q2", "reading", 7, dup: true); // again: now known in memory
            await client.ExpectAsync(RawMqtt311Client.PubRec, 7);
            await client.ReleaseAsync(7);
        }
        Assert.Equal(["reading"], await PayloadsAsync(broker));
        Assert.Contains(logger.Entries, e => e.Id.Id == 4061 && e.Message.Contains("is the original", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_reused_packet_id_with_other_content_after_a_restart_is_stored_as_a_new_message()
    {
        await PublishAndRestartAsync("dev-2", "q2", "first", 7);

        await using var broker = await TestBroker.StartAsync(directory: _directory);
        await using (var client = await RawMqtt311Client.ConnectAsync(broker.Port, "dev-2", cleanSession: false))
        {
            // Not the stored message: its identifier was released (PUBREL is not recorded) and reused.
            await client.PublishQos2ExchangeAsync("q2", "second", 7, dup: true);
            // Same payload on another topic: another message too.
            await client.PublishQos2ExchangeAsync("q2/other", "first", 7, dup: true);
        }
        Assert.Equal(["first", "second", "first"], await PayloadsAsync(broker));
    }

    [Fact]
    public async Task An_unkeyed_route_finds_the_original_in_whichever_partition_it_went_to()
    {
        await using (var before = await TestBroker.StartAsync(directory: _directory, configure: Unkeyed, logOptions: FourPartitions()))
        await using (var client = await RawMqtt311Client.ConnectAsync(before.Port, "dev-8", cleanSession: false))
        {
            for (ushort id = 5; id <= 7; id++)
            {
                await client.PublishQos2Async("q2", $"m{id}", id, dup: false);
                await client.ExpectAsync(RawMqtt311Client.PubRec, id);
            }
            await client.ReleaseAsync(5);
        }

        await using var broker = await TestBroker.StartAsync(directory: _directory, configure: Unkeyed, logOptions: FourPartitions());
        await using (var client = await RawMqtt311Client.ConnectAsync(broker.Port, "dev-8", cleanSession: false))
        {
            foreach (ushort id in (ushort[])[6, 7])
            {
                await client.PublishQos2ExchangeAsync("q2", $"m{id}", id, dup: true);
            }
        }
        Assert.Equal(["m5", "m6", "m7"], (await PayloadsAsync(broker)).Order(StringComparer.Ordinal));
        Assert.True((await broker.ReadAllAsync("mqtt")).Select(r => r.Partition).Distinct().Count() > 1, "round-robin spread the records");
    }

    [Fact]
    public async Task Another_clients_record_with_the_same_packet_id_is_not_taken_for_the_original()
    {
        await PublishAndRestartAsync("dev-3", "q2", "same", 7);

        await using var broker = await TestBroker.StartAsync(directory: _directory, configure: Unkeyed);
        await using (var client = await RawMqtt311Client.ConnectAsync(broker.Port, "dev-4", cleanSession: false))
        {
            await client.PublishQos2ExchangeAsync("q2", "same", 7, dup: true);
        }
        Assert.Equal(["same", "same"], await PayloadsAsync(broker));
    }

    [Fact]
    public async Task After_its_first_new_publish_a_client_no_longer_has_retransmissions_looked_up()
    {
        await PublishAndRestartAsync("dev-5", "q2", "same", 7);

        await using var broker = await TestBroker.StartAsync(directory: _directory);
        await using (var client = await RawMqtt311Client.ConnectAsync(broker.Port, "dev-5", cleanSession: false))
        {
            await client.PublishQos2ExchangeAsync("q2", "new", 8, dup: false);
            // A client resends before sending anything new, so this cannot be a resend from before the restart: it is a
            // new message whose first transmission was lost, identical to the one stored before under the same id.
            await client.PublishQos2ExchangeAsync("q2", "same", 7, dup: true);
        }
        Assert.Equal(["same", "new", "same"], await PayloadsAsync(broker));
    }

    [Fact]
    public async Task A_client_that_reconnects_with_a_clean_session_has_nothing_looked_up()
    {
        await PublishAndRestartAsync("dev-6", "q2", "same", 7);

        await using var broker = await TestBroker.StartAsync(directory: _directory);
        await using (var client = await RawMqtt311Client.ConnectAsync(broker.Port, "dev-6", cleanSession: true))
        {
            await client.PublishQos2ExchangeAsync("q2", "same", 7, dup: true);
        }
        Assert.Equal(["same", "same"], await PayloadsAsync(broker));
    }

    [Fact]
    public async Task With_the_recovery_window_at_zero_a_retransmission_after_a_restart_is_stored_again()
    {
        await PublishAndRestartAsync("dev-7", "q2", "same", 7);

        await using var broker = await TestBroker.StartAsync(directory: _directory, configure: o => o.ExactlyOnceRecoveryWindow = TimeSpan.Zero);
        await using (var client = await RawMqtt311Client.ConnectAsync(broker.Port, "dev-7", cleanSession: false))
        {
            await client.PublishQos2Async("q2", "same", 7, dup: true);
            await client.ExpectAsync(RawMqtt311Client.PubRec, 7);
        }
        Assert.Equal(["same", "same"], await PayloadsAsync(broker));
    }

    [Fact]
    public void The_recovery_window_and_scan_cap_are_validated_with_their_keys()
    {
        var failures = new MqttIngestOptionsValidator().Validate(null,
            new MqttIngestOptions { ExactlyOnceRecoveryWindow = TimeSpan.FromSeconds(-1), ExactlyOnceRecoveryMaxRecords = 0 }).Failures ?? [];
        Assert.Contains(failures, f => f.StartsWith("Mqtt:ExactlyOnceRecoveryWindow:", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Mqtt:ExactlyOnceRecoveryMaxRecords", StringComparison.Ordinal));
    }

    /// <summary>A QoS 2 PUBLISH acknowledged with PUBREC (so durable), then the broker goes away before PUBREL.</summary>
    private async Task PublishAndRestartAsync(string clientId, string topic, string payload, ushort packetId, int level = 4)
    {
        await using var broker = await TestBroker.StartAsync(directory: _directory);
        await using var client = await RawMqtt311Client.ConnectAsync(broker.Port, clientId, cleanSession: false, level);
        await client.PublishQos2Async(topic, payload, packetId, dup: false);
        await client.ExpectAsync(RawMqtt311Client.PubRec, packetId);
    }

    private static void Unkeyed(MqttIngestOptions o) => o.DefaultRoute.Key = "none";

    private static EdgeStream.Log.LogOptions FourPartitions() => new() { CommitPolicy = "group", Defaults = new EdgeStream.Log.TopicSettings { Partitions = 4 } };

    private static async Task<List<string>> PayloadsAsync(TestBroker broker)
        => [.. (await broker.ReadAllAsync("mqtt")).OrderBy(r => r.Partition).ThenBy(r => r.Offset).Select(r => Encoding.UTF8.GetString(r.Value.Span))];

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

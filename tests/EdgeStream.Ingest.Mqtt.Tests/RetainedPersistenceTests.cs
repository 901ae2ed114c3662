using System.Buffers.Binary;
using System.Text;
using EdgeStream.Ingest.Mqtt.Broker.Retained;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using EdgeStream.Ingest.Mqtt.Tests.Mqtt5;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests;

/// <summary>
/// Retained messages survive a restart of the broker over the same data directory (<c>mqtt/retained.snapshot</c>):
/// real MQTTnet clients publish to one broker, and a new subscriber of the next one receives what was retained.
/// </summary>
public sealed class RetainedPersistenceTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "es-retained-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string SnapshotPath => Path.Combine(_directory, RetainedSnapshotFile.RelativePath);

    [Fact]
    public async Task Retained_messages_keep_their_mqtt5_properties_across_a_graceful_restart_and_a_cleared_one_stays_cleared()
    {
        await using (var before = await TestBroker.StartAsync(directory: _directory))
        {
            using var publisher = await before.ConnectAsync("pub");
            await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("r/plain").WithPayload("on").WithRetainFlag().Build(), Ct);
            await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("r/props").WithPayload("21.5")
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag()
                .WithContentType("text/plain").WithResponseTopic("r/reply").WithCorrelationData([1, 2, 3])
                .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
                .WithUserProperty("unit", new ReadOnlyMemory<byte>("°C"u8.ToArray())).WithUserProperty("site", new ReadOnlyMemory<byte>("north"u8.ToArray()))
                .WithMessageExpiryInterval(3600).Build(), Ct);
            await publisher.PublishAsync(Retained("r/cleared", "was here"), Ct);
            await publisher.PublishAsync(Retained("r/cleared", ""), Ct);
        }

        await using var after = await TestBroker.StartAsync(directory: _directory);
        var received = await SubscribeAndCollectAsync(after, expected: ["r/plain", "r/props"]);

        Assert.Equal(["r/plain", "r/props"], received.Select(m => m.Topic).Order(StringComparer.Ordinal));
        var plain = received.Single(m => m.Topic == "r/plain");
        Assert.True(plain.Retain);
        Assert.Equal(MqttQualityOfServiceLevel.AtMostOnce, plain.QualityOfServiceLevel);
        Assert.Equal("on", plain.ConvertPayloadToString());
        var props = received.Single(m => m.Topic == "r/props");
        Assert.True(props.Retain);
        Assert.Equal("21.5", props.ConvertPayloadToString());
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, props.QualityOfServiceLevel);
        Assert.Equal("text/plain", props.ContentType);
        Assert.Equal("r/reply", props.ResponseTopic);
        Assert.Equal([1, 2, 3], props.CorrelationData);
        Assert.Equal(MqttPayloadFormatIndicator.CharacterData, props.PayloadFormatIndicator);
        Assert.Equal([("unit", "°C"), ("site", "north")], props.UserProperties!.Select(p => (p.Name, Encoding.UTF8.GetString(p.ValueBuffer.Span))));
        Assert.InRange(props.MessageExpiryInterval, 1u, 3600u); // still expiring, counted from the first receipt
        Assert.Equal(2, after.Broker.RetainedLimit.Count);
    }

    [Fact]
    public async Task What_the_interval_snapshot_holds_survives_a_stop_without_the_final_snapshot()
    {
        var crashCopy = SnapshotPath + ".at-crash";
        await using (var before = await TestBroker.StartAsync(directory: _directory))
        {
            using var publisher = await before.ConnectAsync("pub");
            await publisher.PublishAsync(Retained("r/survivor", "42"), Ct);
            // Written by the interval loop while the broker runs: no stop has happened yet.
            await Poll.UntilAsync(() => File.Exists(SnapshotPath) && Contains(File.ReadAllBytes(SnapshotPath), "r/survivor"), what: "the interval snapshot",
                cancellationToken: Ct);
            // What a power cut now would leave on disk (the rename makes each snapshot whole, so a copy is one too).
            File.Copy(SnapshotPath, crashCopy);
        }
        // The graceful stop's final snapshot never happened.
        File.Copy(crashCopy, SnapshotPath, overwrite: true);

        await using var after = await TestBroker.StartAsync(directory: _directory);
        var received = await SubscribeAndCollectAsync(after, expected: ["r/survivor"]);
        Assert.Equal("42", Assert.Single(received).ConvertPayloadToString());
    }

    [Theory]
    [InlineData("torn-tail", 2)]
    [InlineData("flipped-byte-in-the-second-record", 1)]
    [InlineData("garbage-header", 0)]
    public async Task A_damaged_snapshot_loads_its_valid_prefix_keeps_the_file_as_corrupt_and_the_broker_starts(string damage, int valid)
    {
        await PublishInOrderAsync(["r/0", "r/1", "r/2"], payloadBytes: 10); // written newest first: r/2, r/1, r/0
        var bytes = File.ReadAllBytes(SnapshotPath);
        var damaged = damage switch
        {
            "torn-tail" => bytes[..^5],
            "flipped-byte-in-the-second-record" => Flip(bytes, SecondRecordBodyOffset(bytes) + 3),
            _ => Flip(bytes, 2),
        };
        File.WriteAllBytes(SnapshotPath, damaged);

        var logger = new ListLogger();
        await using var after = await TestBroker.StartAsync(directory: _directory, logger: logger);
        string[] newest = ["r/2", "r/1", "r/0"];
        var received = await SubscribeAndCollectAsync(after, expected: newest[..valid]);

        Assert.Equal(newest[..valid].Order(StringComparer.Ordinal), received.Select(m => m.Topic).Order(StringComparer.Ordinal));
        Assert.Equal(valid, after.Broker.RetainedLimit.Count);
        Assert.Equal(damaged, File.ReadAllBytes(SnapshotPath + ".corrupt"));
        Assert.Contains(logger.Entries, e => e.Id.Id == 4091 && e.Level == LogLevel.Warning);
        // The valid prefix is written as a whole snapshot again, so the next restart does not depend on the damaged file.
        await Poll.UntilAsync(() => File.Exists(SnapshotPath), what: "a new snapshot", cancellationToken: Ct);
    }

    [Theory]
    [InlineData(3, 1_000_000L, 3)]
    [InlineData(100, 250L, 2)]
    public async Task A_snapshot_beyond_the_limits_loads_the_newest_and_counts_them_against_the_limits(int maxMessages, long maxBytes, int kept)
    {
        string[] topics = ["r/0", "r/1", "r/2", "r/3", "r/4"];
        await PublishInOrderAsync(topics, payloadBytes: 100);

        var logger = new ListLogger();
        await using var after = await TestBroker.StartAsync(o =>
        {
            o.Limits.MaxRetainedMessages = maxMessages;
            o.Limits.MaxRetainedBytes = maxBytes;
        }, directory: _directory, logger: logger);
        var newest = topics[^kept..];
        var received = await SubscribeAndCollectAsync(after, expected: newest);

        Assert.Equal(newest, received.Select(m => m.Topic).Order(StringComparer.Ordinal));
        Assert.Equal(kept, after.Broker.RetainedLimit.Count);
        Assert.Equal(kept * 103L, after.Broker.RetainedLimit.Bytes); // 100 payload bytes and a 3-character topic each
        Assert.Contains(logger.Entries, e => e.Id.Id == 4092 && e.Message.Contains($"{topics.Length - kept} older", StringComparison.Ordinal));
        // The loaded messages fill the account: one more retained topic is refused.
        using var publisher = await after.ConnectAsync("more");
        var refused = await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("r/5").WithPayload(new byte[100]).WithRetainFlag()
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, refused.ReasonCode);
    }

    [Fact]
    public async Task A_retained_message_whose_expiry_passed_while_the_broker_was_down_is_not_loaded()
    {
        var start = DateTimeOffset.UtcNow;
        await using (var before = await TestBroker.StartAsync(directory: _directory, time: new FakeTimeProvider(start)))
        {
            using var publisher = await before.ConnectAsync("pub");
            await publisher.PublishAsync(Retained("r/stale", "old", expiry: 60), Ct);
            await publisher.PublishAsync(Retained("r/fresh", "new", expiry: 3600), Ct);
            await publisher.PublishAsync(Retained("r/forever", "always"), Ct);
        }

        var logger = new ListLogger();
        await using var after = await TestBroker.StartAsync(directory: _directory, logger: logger, time: new FakeTimeProvider(start + TimeSpan.FromSeconds(120)));
        var received = await SubscribeAndCollectAsync(after, expected: ["r/forever", "r/fresh"]);

        Assert.Equal(["r/forever", "r/fresh"], received.Select(m => m.Topic).Order(StringComparer.Ordinal));
        Assert.Equal(3480u, received.Single(m => m.Topic == "r/fresh").MessageExpiryInterval); // 3600 s less the 120 s the broker was down
        Assert.Equal(2, after.Broker.RetainedLimit.Count);
        Assert.Contains(logger.Entries, e => e.Id.Id == 4090 && e.Message.Contains("(1 expired", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failing_snapshot_write_is_logged_once_keeps_the_messages_in_memory_and_is_retried_until_it_works()
    {
        // A file where the snapshot's directory belongs: every write fails (as on a read-only or full disk), even as root.
        Directory.CreateDirectory(_directory);
        var blocker = Path.Combine(_directory, "mqtt");
        await File.WriteAllTextAsync(blocker, "in the way", Ct);
        var logger = new ListLogger();
        await using var broker = await TestBroker.StartAsync(directory: _directory, logger: logger);
        var persistence = broker.Broker.RetainedPersistence!;
        using (var publisher = await broker.ConnectAsync("pub"))
        {
            await publisher.PublishAsync(Retained("r/a", "1"), Ct);
            await Poll.UntilAsync(() => persistence.FailedWrites >= 1, what: "a failed write", cancellationToken: Ct);
            await publisher.PublishAsync(Retained("r/b", "2"), Ct);
            await Poll.UntilAsync(() => persistence.FailedWrites >= 3, what: "two retries", cancellationToken: Ct);
        }

        Assert.Single(logger.Entries, e => e.Id.Id == 4093);
        var received = await SubscribeAndCollectAsync(broker, expected: ["r/a", "r/b"]);
        Assert.Equal(["r/a", "r/b"], received.Select(m => m.Topic).Order(StringComparer.Ordinal));

        // Once the disk takes writes again, the next interval writes the snapshot without any new change.
        File.Delete(blocker);
        await Poll.UntilAsync(() => File.Exists(SnapshotPath) && Contains(File.ReadAllBytes(SnapshotPath), "r/b"), what: "the snapshot after the retry",
            cancellationToken: Ct);
        Assert.Contains("r/a", Encoding.UTF8.GetString(File.ReadAllBytes(SnapshotPath)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_large_retained_set_that_keeps_changing_is_rewritten_less_often_than_the_interval()
    {
        // Ten 64 KiB retained messages: a 640 KiB snapshot, which the write budget (64 KiB/s) spaces ten seconds apart.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var broker = await TestBroker.StartAsync(directory: _directory, time: time);
        var persistence = broker.Broker.RetainedPersistence!;
        using var publisher = await broker.ConnectAsync("pub");
        for (var i = 0; i < 10; i++)
        {
            await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"r/{i}").WithPayload(new byte[64 * 1024]).WithRetainFlag().Build(), Ct);
        }
        await Poll.UntilAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return File.Exists(SnapshotPath) && new FileInfo(SnapshotPath).Length > 10 * 64 * 1024 && persistence.NextWriteNotBefore > time.GetUtcNow();
        }, what: "the whole set written and the pause after it begun", cancellationToken: Ct);
        var pauseEnds = persistence.NextWriteNotBefore;
        Assert.True(pauseEnds - time.GetUtcNow() > TimeSpan.FromSeconds(5), $"pause ends at {pauseEnds:O}, now {time.GetUtcNow():O}");

        await publisher.PublishAsync(Retained("r/0", "changed"), Ct);
        time.Advance(TimeSpan.FromSeconds(3)); // three intervals: without the budget the change would be written by now
        await Task.Delay(TimeSpan.FromMilliseconds(300), Ct);
        Assert.False(Contains(File.ReadAllBytes(SnapshotPath), "changed"));

        time.Advance(pauseEnds - time.GetUtcNow());
        await Poll.UntilAsync(() => Contains(File.ReadAllBytes(SnapshotPath), "changed"), what: "the change written after the pause", cancellationToken: Ct);
    }

    [Theory]
    [InlineData(0, 1_000, 1_000)]
    [InlineData(64 * 1024, 1_000, 1_000)]
    [InlineData(640 * 1024, 1_000, 10_000)]
    [InlineData(64 * 1024 * 1024, 1_000, 1_024_000)]
    public void The_pause_after_a_snapshot_is_the_interval_or_its_size_at_64_KiB_a_second(long bytes, int intervalMs, int pauseMs)
        => Assert.Equal(TimeSpan.FromMilliseconds(pauseMs), RetainedPersistence.PauseAfter(bytes, TimeSpan.FromMilliseconds(intervalMs)));

    private static MqttApplicationMessage Retained(string topic, string payload, uint expiry = 0)
        => new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithRetainFlag()
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithMessageExpiryInterval(expiry).Build();

    /// <summary>Publishes retained messages one second apart on a fake clock, so their order in the snapshot is known; stops gracefully.</summary>
    private async Task PublishInOrderAsync(string[] topics, int payloadBytes)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var before = await TestBroker.StartAsync(directory: _directory, time: time);
        using var publisher = await before.ConnectAsync("pub");
        foreach (var topic in topics)
        {
            await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(new byte[payloadBytes]).WithRetainFlag()
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
            time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>
    /// Subscribes to <c>r/#</c> and returns the retained messages it is sent: once <paramref name="expected"/> have
    /// arrived, a live message published after them proves nothing else is on its way.
    /// </summary>
    private static async Task<List<MqttApplicationMessage>> SubscribeAndCollectAsync(TestBroker broker, string[] expected)
    {
        using var subscriber = await broker.ConnectAsync("late");
        var collector = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("r/#", MqttQualityOfServiceLevel.ExactlyOnce, Ct);
        await collector.WaitUntilAsync(() => expected.All(collector.Topics.Contains));
        using var marker = await broker.ConnectAsync("marker");
        await marker.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("r/zz-marker").WithPayload("end")
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        await collector.WaitForTopicAsync("r/zz-marker");
        return [.. collector.Messages.Where(m => m.Topic != "r/zz-marker")];
    }

    private static bool Contains(byte[] bytes, string text) => bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    /// <summary>Header (16 bytes), then records of a u32 body length and a u32 checksum before each body.</summary>
    private static int SecondRecordBodyOffset(byte[] snapshot)
    {
        var first = 16 + 8 + (int)BinaryPrimitives.ReadUInt32LittleEndian(snapshot.AsSpan(16));
        return first + 8;
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = bytes.ToArray();
        copy[at] ^= 0xFF;
        return copy;
    }

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

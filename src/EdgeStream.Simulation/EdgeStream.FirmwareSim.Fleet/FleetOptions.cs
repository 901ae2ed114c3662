namespace EdgeStream.FirmwareSim.Fleet;

/// <summary>What a simulated fleet does. Every run is bounded by <see cref="Duration"/>, <see cref="MessagesPerDevice"/>, or both.</summary>
public sealed class FleetOptions
{
    /// <summary>Broker host. Default 127.0.0.1.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Broker TCP port. Default 1883.</summary>
    public int Port { get; set; } = 1883;

    /// <summary>Number of devices (1..100000). Default 10.</summary>
    public int Devices { get; set; } = 10;

    /// <summary>Samples per second per device (0.001..10000). Default 1.</summary>
    public double Rate { get; set; } = 1;

    /// <summary>Stop after this long (null: only <see cref="MessagesPerDevice"/> bounds the run).</summary>
    public TimeSpan? Duration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Stop each device after this many samples (null: only <see cref="Duration"/> bounds the run).</summary>
    public long? MessagesPerDevice { get; set; }

    /// <summary>QoS of the telemetry publishes: 0 or 1. Default 1.</summary>
    public int Qos { get; set; } = 1;

    /// <summary>MQTT version. Default 5.0.</summary>
    public MqttProtocol Protocol { get; set; } = MqttProtocol.V500;

    /// <summary>Payload encoding. Default JSON.</summary>
    public PayloadFormat Payload { get; set; } = PayloadFormat.Json;

    /// <summary>Minimum payload size in bytes; readings are padded up to it (0..1 MiB). Default 0.</summary>
    public int Size { get; set; }

    /// <summary>
    /// Mean time between random disconnects of each device (exponentially distributed, seeded); null: none.
    /// A disconnected device keeps sampling into its buffer for <see cref="OfflineFor"/>, then reconnects and flushes.
    /// </summary>
    public TimeSpan? DisconnectEvery { get; set; }

    /// <summary>How long a randomly disconnected device stays offline. Default 2 s.</summary>
    public TimeSpan OfflineFor { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most random disconnects per device in one run. Default 100.</summary>
    public int MaxDisconnectsPerDevice { get; set; } = 100;

    /// <summary>Most samples a device holds while offline; the oldest are dropped (and counted) beyond it. Default 10000.</summary>
    public int MaxBuffered { get; set; } = 10_000;

    /// <summary>Topic template; <c>{device}</c> is replaced by the device id. Default <c>devices/{device}/telemetry</c>.</summary>
    public string TopicTemplate { get; set; } = "devices/{device}/telemetry";

    /// <summary>Device ids are this prefix plus a 4-digit index (<c>sim-0000</c>). Default <c>sim</c>.</summary>
    public string ClientIdPrefix { get; set; } = "sim";

    /// <summary>Seed for telemetry and disconnect schedules, so runs are repeatable. Default 1.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Connect / publish timeout. Default 10 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Called after each publish the broker acknowledged with success (QoS 1: a PUBACK; QoS 0: written), with the reading it
    /// carried; null: nobody listens. Devices call it from their own tasks, concurrently: it must be thread-safe and quick.
    /// </summary>
    public Action<TelemetryReading>? OnAcknowledged { get; set; }

    /// <summary>The id of device <paramref name="index"/>.</summary>
    public string DeviceId(int index) => $"{ClientIdPrefix}-{index:D4}";

    /// <summary>The topic device <paramref name="deviceId"/> publishes to.</summary>
    public string TopicFor(string deviceId) => TopicTemplate.Replace("{device}", deviceId, StringComparison.Ordinal);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(Host), "Host must be set.");
        Require(Port is > 0 and <= 65535, $"Port must be 1..65535 (was {Port}).");
        Require(Devices is >= 1 and <= 100_000, $"Devices must be 1..100000 (was {Devices}).");
        Require(Rate is >= 0.001 and <= 10_000, $"Rate must be 0.001..10000 per second (was {Rate}).");
        Require(Duration is not null || MessagesPerDevice is not null, "Duration or MessagesPerDevice must bound the run.");
        Require(Duration is null || Duration > TimeSpan.Zero, "Duration must be positive.");
        Require(MessagesPerDevice is null or > 0, "MessagesPerDevice must be positive.");
        Require(Qos is 0 or 1, $"Qos must be 0 or 1 (was {Qos}).");
        Require(Enum.IsDefined(Protocol) && Enum.IsDefined(Payload), "Protocol or Payload is not a known value.");
        Require(Size is >= 0 and <= 1 << 20, $"Size must be 0..1048576 (was {Size}).");
        Require(DisconnectEvery is null || DisconnectEvery > TimeSpan.Zero, "DisconnectEvery must be positive.");
        Require(OfflineFor >= TimeSpan.Zero, "OfflineFor must not be negative.");
        Require(MaxDisconnectsPerDevice >= 0, "MaxDisconnectsPerDevice must not be negative.");
        Require(MaxBuffered >= 1, "MaxBuffered must be at least 1.");
        Require(TopicTemplate.Length > 0 && !TopicTemplate.Contains('+', StringComparison.Ordinal) && !TopicTemplate.Contains('#', StringComparison.Ordinal),
            "TopicTemplate must be a topic name without wildcards.");
        Require(!string.IsNullOrWhiteSpace(ClientIdPrefix), "ClientIdPrefix must be set.");
        Require(Timeout > TimeSpan.Zero, "Timeout must be positive.");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}

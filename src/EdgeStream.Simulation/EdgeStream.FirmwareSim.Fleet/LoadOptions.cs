namespace EdgeStream.FirmwareSim.Fleet;

/// <summary>What <see cref="LoadGenerator.RunAsync"/> does: QoS 1 publishes as fast as acks come back, bounded by time.</summary>
public sealed class LoadOptions
{
    /// <summary>Broker host. Default 127.0.0.1.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Broker TCP port. Default 1883.</summary>
    public int Port { get; set; } = 1883;

    /// <summary>Concurrent connections (1..10000). Default 100.</summary>
    public int Devices { get; set; } = 100;

    /// <summary>Unacknowledged publishes each connection keeps outstanding (1..65535). Default 16.</summary>
    public int InFlight { get; set; } = 16;

    /// <summary>How long to publish (after all connections are up). Default 10 s.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Optional extra bound: stop each connection after this many publishes.</summary>
    public long? MessagesPerDevice { get; set; }

    /// <summary>Payload size in bytes (1..1 MiB): a binary telemetry record, zero-padded (or cut) to this size. Default 64.</summary>
    public int Size { get; set; } = 64;

    /// <summary>MQTT version. Default 5.0.</summary>
    public MqttProtocol Protocol { get; set; } = MqttProtocol.V500;

    /// <summary>Topic template; <c>{device}</c> is replaced by the client id. Default <c>load/{device}</c>.</summary>
    public string TopicTemplate { get; set; } = "load/{device}";

    /// <summary>Client ids are this prefix plus a 4-digit index. Default <c>load</c>.</summary>
    public string ClientIdPrefix { get; set; } = "load";

    /// <summary>Connect / PUBACK timeout. Default 10 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host) || Port is <= 0 or > 65535)
        {
            throw new ArgumentException($"Host/Port must name a broker (was '{Host}:{Port}').");
        }
        if (Devices is < 1 or > 10_000)
        {
            throw new ArgumentException($"Devices must be 1..10000 (was {Devices}).");
        }
        if (InFlight is < 1 or > 65_535)
        {
            throw new ArgumentException($"InFlight must be 1..65535 (was {InFlight}).");
        }
        if (Duration <= TimeSpan.Zero || Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("Duration and Timeout must be positive.");
        }
        if (MessagesPerDevice is <= 0)
        {
            throw new ArgumentException("MessagesPerDevice must be positive when set.");
        }
        if (Size is < 1 or > 1 << 20)
        {
            throw new ArgumentException($"Size must be 1..1048576 (was {Size}).");
        }
        if (TopicTemplate.Length == 0 || TopicTemplate.Contains('+', StringComparison.Ordinal) || TopicTemplate.Contains('#', StringComparison.Ordinal))
        {
            throw new ArgumentException("TopicTemplate must be a topic name without wildcards.");
        }
    }
}

/// <summary>The figures of a load run.</summary>
/// <param name="Devices">Connections requested.</param>
/// <param name="Connected">Connections that came up.</param>
/// <param name="Acked">Publishes acknowledged with success (PUBACK 0x00, or 0x10 "no matching subscribers").</param>
/// <param name="Failed">Publishes refused, timed out or lost with their connection.</param>
/// <param name="Elapsed">Time from the first publish to the last ack.</param>
/// <param name="P50">Median publish-to-PUBACK latency.</param>
/// <param name="P99">99th percentile latency.</param>
/// <param name="Max">Largest latency seen.</param>
public sealed record LoadReport(int Devices, int Connected, long Acked, long Failed, TimeSpan Elapsed, TimeSpan P50, TimeSpan P99, TimeSpan Max)
{
    /// <summary>Acknowledged publishes per second over <see cref="Elapsed"/>.</summary>
    public double AckedPerSecond => Elapsed > TimeSpan.Zero ? Acked / Elapsed.TotalSeconds : 0;
}

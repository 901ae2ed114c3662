namespace EdgeStream.Forwarding;

/// <summary>
/// Optionally implemented by an <see cref="ISink"/> whose client knows upstream's reachability between sends (e.g.
/// librdkafka's "all brokers down", an MQTT or NATS connection state). The engine reads it for status and metrics only,
/// so a sink never shows <see cref="SinkState.Connected"/> while its client knows upstream is gone. Thread-safe.
/// </summary>
public interface ISinkConnectivity
{
    /// <summary>Why the client currently considers upstream unreachable, or <c>null</c> when it does not.</summary>
    string? Unreachable { get; }
}

namespace EdgeStream.Ingest.Mqtt.Routing;

/// <summary>What to do with one message. Immutable.</summary>
/// <param name="Outcome">Store, drop on purpose, or reject as invalid.</param>
/// <param name="LogTopic">The log topic (for <see cref="RouteOutcome.Store"/>).</param>
/// <param name="Key">The partition key bytes, or <c>null</c> for round-robin.</param>
/// <param name="Rule">The rule that decided.</param>
internal readonly record struct RouteDecision(RouteOutcome Outcome, string? LogTopic, byte[]? Key, RouteRule? Rule);

/// <summary>Routing outcomes.</summary>
internal enum RouteOutcome
{
    Store,
    Drop,

    /// <summary>The rule's log topic template produced an invalid name for this MQTT topic (reason code 0x90).</summary>
    InvalidTopic,
}

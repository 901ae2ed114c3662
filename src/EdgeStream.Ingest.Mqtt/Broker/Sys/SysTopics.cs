namespace EdgeStream.Ingest.Mqtt.Broker.Sys;

/// <summary>
/// The <c>$SYS</c> topic space: written by the broker only (a client publish there is refused by every ACL, as
/// Mosquitto does, so a device cannot forge statistics). Stateless.
/// </summary>
internal static class SysTopics
{
    /// <summary>The first topic level of the broker's statistics.</summary>
    public const string Root = "$SYS";

    /// <summary>Prefix of every statistic this broker publishes.</summary>
    public const string Broker = "$SYS/broker/";

    /// <summary>Whether <paramref name="topic"/>'s first level is <c>$SYS</c>.</summary>
    public static bool IsSys(string? topic)
        => topic is not null && topic.StartsWith(Root, StringComparison.Ordinal) && (topic.Length == Root.Length || topic[Root.Length] == '/');
}

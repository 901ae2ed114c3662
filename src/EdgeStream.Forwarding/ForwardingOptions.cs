using Microsoft.Extensions.Options;

namespace EdgeStream.Forwarding;

/// <summary>
/// The <c>Forwarding</c> configuration section. Mutable for options binding; validated at start
/// (see <c>docs/forwarding.md</c> for every key).
/// </summary>
public sealed class ForwardingOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Forwarding";

    /// <summary>This edge node's id, the first part of every record id. Defaults to the machine name.</summary>
    public string NodeId { get; set; } = Environment.MachineName;

    /// <summary>The upstream sinks.</summary>
    [ValidateEnumeratedItems]
    public List<SinkOptions> Sinks { get; set; } = [];

    /// <summary>
    /// Topic priorities (higher drains first when a sink's bandwidth cap is the bottleneck); topics not listed have 0.
    /// </summary>
    public Dictionary<string, int> TopicPriorities { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Least time between two cursor commits (write + fsync) of one partition; acknowledgements in between are coalesced.
    /// Bounds the fsync load on an SD card; after a crash at most this much traffic is resent. A partition that stops
    /// commits at once. Default 1 s (Kafka's consumers auto-commit every 5 s): each commit replaces a file (write, fsync,
    /// rename), and at 50 ms a live stream made 18 of them a second per partition, wear an SD card pays for; 0 commits
    /// after every batch.
    /// </summary>
    public TimeSpan CursorCommitInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the engine looks for topics and partitions created since it started. Default 5 s.</summary>
    public TimeSpan TopicDiscoveryInterval { get; set; } = TimeSpan.FromSeconds(5);
}

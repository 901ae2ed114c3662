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
    public List<SinkOptions> Sinks { get; set; } = [];

    /// <summary>
    /// Topic priorities (higher drains first when a sink's bandwidth cap is the bottleneck); topics not listed have 0.
    /// </summary>
    public Dictionary<string, int> TopicPriorities { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How often the engine looks for topics and partitions created since it started. Default 5 s.</summary>
    public TimeSpan TopicDiscoveryInterval { get; set; } = TimeSpan.FromSeconds(5);
}

namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>A record the log holds at the end of the run (read with <c>edgestream log dump</c>).</summary>
internal sealed record StoredEntry(string Topic, int Partition, long Offset, string Hash, string? Tag);

/// <summary>A record upstream received, in arrival order; <see cref="Id"/> is the sink's <c>{nodeId}/{topic}/{partition}/{offset}</c>.</summary>
internal sealed record Delivery(string Id, string Topic, int Partition, long Offset, string Hash, string? Tag);

/// <summary>A message the service acknowledged (PUBACK or HTTP 2xx), by the tag its value carries.</summary>
internal sealed record AckedMessage(string Topic, string Tag);

/// <summary>Everything the checks look at, gathered after the service was stopped.</summary>
internal sealed class ChaosEvidence
{
    /// <summary>The service's <c>Forwarding:NodeId</c>, the first part of every record id.</summary>
    public required string NodeId { get; init; }

    /// <summary>Topics with retention: a record of these may be gone from the log once upstream has it.</summary>
    public IReadOnlySet<string> RetentionTopics { get; init; } = new HashSet<string>();

    public required IReadOnlyCollection<AckedMessage> Acked { get; init; }

    public required IReadOnlyList<StoredEntry> Stored { get; init; }

    public required IReadOnlyList<Delivery> Delivered { get; init; }

    /// <summary>Times the service exited without being killed or stopped.</summary>
    public int UnexpectedExits { get; init; }

    /// <summary>Descriptions of unexpected exits and starts that never became ready.</summary>
    public IReadOnlyList<string> ServiceFailures { get; init; } = [];

    /// <summary>Connections with a wrong password the broker accepted.</summary>
    public int AuthBypasses { get; init; }

    /// <summary>The record id the sink gives a stored record.</summary>
    public string IdOf(StoredEntry e) => $"{NodeId}/{e.Topic}/{e.Partition}/{e.Offset}";
}

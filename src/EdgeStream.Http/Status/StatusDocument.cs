using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeStream.Log;

namespace EdgeStream.Http.Status;

/// <summary>
/// The <c>/api/status</c> body: the log's topics and cursors, plus one property per contributor. A class rather than a
/// positional record because System.Text.Json cannot pair extension data with a constructor. Not changed once built.
/// </summary>
internal sealed class StatusDocument
{
    public required DateTimeOffset Time { get; init; }

    public required IReadOnlyList<TopicView> Topics { get; init; }

    public required IReadOnlyList<CursorView> Cursors { get; init; }

    /// <summary>Partitions with damaged data that readers skip (or that parked them); empty when the log is sound.</summary>
    public IReadOnlyList<PartitionCorruption> Corruption { get; init; } = [];

    /// <summary>Contributor sections by name, written as top-level properties (settable: init-only extension data counts as a constructor parameter).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Sections { get; set; }
}

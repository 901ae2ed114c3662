using System.Text.Json.Serialization;

namespace EdgeStream.Http.Ingest;

/// <summary>
/// The answer to an ingest request: one result per record, in request order. With 200 every record is stored; with
/// 207 (records spread over partitions, some partition refused) <see cref="Stored"/> of <see cref="Count"/> are, and
/// each other record carries its error. Immutable.
/// </summary>
internal sealed record IngestResponse(string Topic, int Count, int Stored, int Failed, IReadOnlyList<IngestedRecord> Records);

/// <summary>One record's result: its offset once durable, or the status and error that kept it out. Immutable.</summary>
internal sealed record IngestedRecord(
    int Partition,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Offset,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Status = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error = null);

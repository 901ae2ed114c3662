namespace EdgeStream.Http.Ingest;

/// <summary>The answer to an ingest request: where each record landed, in request order. Immutable.</summary>
internal sealed record IngestResponse(string Topic, int Count, IReadOnlyList<IngestedRecord> Records);

/// <summary>One stored record's position. Immutable.</summary>
internal sealed record IngestedRecord(int Partition, long Offset);

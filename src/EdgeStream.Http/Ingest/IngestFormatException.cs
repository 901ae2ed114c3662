namespace EdgeStream.Http.Ingest;

/// <summary>An ingest body that cannot be turned into records; the message names the line or record (answered as 400).</summary>
internal sealed class IngestFormatException(string message) : Exception(message);

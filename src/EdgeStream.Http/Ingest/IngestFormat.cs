using Microsoft.Net.Http.Headers;

namespace EdgeStream.Http.Ingest;

/// <summary>How an ingest body is read, chosen by its Content-Type.</summary>
internal enum IngestFormat
{
    /// <summary>Anything else: the body is one record's value, byte for byte.</summary>
    Raw,

    /// <summary><c>application/json</c>: an array of record objects (or one object).</summary>
    JsonArray,

    /// <summary><c>application/x-ndjson</c> (also <c>application/jsonl</c>, <c>application/json-lines</c>): one record object per line.</summary>
    JsonLines,
}

/// <summary>Maps a Content-Type to an <see cref="IngestFormat"/>. Stateless.</summary>
internal static class IngestFormats
{
    public static IngestFormat FromContentType(string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return IngestFormat.Raw;
        }
        return media.MediaType.Value?.ToLowerInvariant() switch
        {
            "application/json" => IngestFormat.JsonArray,
            "application/x-ndjson" or "application/ndjson" or "application/jsonl" or "application/json-lines" or "application/x-jsonlines" => IngestFormat.JsonLines,
            _ => IngestFormat.Raw,
        };
    }
}

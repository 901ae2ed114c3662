using System.Text;
using EdgeStream.Log;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStream.Http.Ingest;

/// <summary>
/// <c>POST /api/v1/topics/{topic}/records</c>: parses the body (JSON array, JSON lines or raw, by Content-Type), appends
/// the records — keyed ones to their key's partition, unkeyed ones of one request together to one round-robin
/// partition, one batch per partition so each partition's share is stored atomically and in request order — and answers
/// 200 with the offsets only once every batch is durable. Thread-safe.
/// </summary>
internal sealed class IngestHandler(LogStore store, IOptions<HttpOptions> options, ILogger<IngestHandler> logger)
{
    /// <summary>Header carrying the key of a raw-body record.</summary>
    public const string KeyHeader = "X-EdgeStream-Key";

    private readonly HttpOptions _options = options.Value;
    private int _roundRobin = -1;

    public static void Map(IEndpointRouteBuilder api)
        => api.MapPost("/topics/{topic}/records", (HttpContext context, string topic, IngestHandler handler) => handler.HandleAsync(context, topic));

    public async Task<IResult> HandleAsync(HttpContext context, string topic)
    {
        if (!TopicName.IsValid(topic, out var reason))
        {
            return Problems.BadRequest($"Invalid topic name: {reason}.");
        }
        var cancellationToken = context.RequestAborted;
        if (await RequestBody.ReadAsync(context.Request, _options.MaxBodyBytes, cancellationToken) is not { } body)
        {
            return Problems.Create(StatusCodes.Status413PayloadTooLarge, $"The request body exceeds Http:MaxBodyBytes ({_options.MaxBodyBytes} bytes).");
        }
        List<LogRecord> records;
        try
        {
            records = IngestFormats.FromContentType(context.Request.ContentType) switch
            {
                IngestFormat.JsonArray => JsonRecordParser.ParseArray(body),
                IngestFormat.JsonLines => JsonRecordParser.ParseLines(body),
                _ => [RawRecord(context.Request, body)],
            };
        }
        catch (IngestFormatException e)
        {
            return Problems.BadRequest(e.Message);
        }

        TopicInfo info;
        try
        {
            info = store.EnsureTopic(topic);
        }
        catch (UnknownTopicException)
        {
            return Problems.NotFound($"Topic '{topic}' does not exist and Log:AutoCreateTopics is false.");
        }
        try
        {
            var positions = await AppendDurablyAsync(topic, info.Partitions.Count, records, cancellationToken);
            HttpLog.Ingested(logger, topic, records.Count);
            return TypedResults.Json(new IngestResponse(topic, records.Count, positions), HttpJsonContext.Default.IngestResponse);
        }
        catch (LogFullException e)
        {
            HttpLog.IngestRefusedLogFull(logger, topic, e.Reason);
            return Problems.Create(StatusCodes.Status507InsufficientStorage, e.Message);
        }
        catch (PartitionFailedException e)
        {
            HttpLog.IngestFailed(logger, topic, e);
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, e.Message);
        }
    }

    private async Task<IngestedRecord[]> AppendDurablyAsync(string topic, int partitionCount, List<LogRecord> records, CancellationToken cancellationToken)
    {
        var unkeyed = (int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)partitionCount);
        var groups = new Dictionary<int, List<int>>();
        for (var i = 0; i < records.Count; i++)
        {
            var partition = records[i].Key is { } key ? store.PartitionFor(topic, key.Span) : unkeyed;
            if (!groups.TryGetValue(partition, out var indexes))
            {
                groups[partition] = indexes = [];
            }
            indexes.Add(i);
        }
        var positions = new IngestedRecord[records.Count];
        var written = new List<(int Partition, long LastOffset)>(groups.Count);
        foreach (var (partition, indexes) in groups)
        {
            var result = await store.AppendBatchAsync(topic, partition, [.. indexes.Select(i => records[i])], cancellationToken);
            for (var j = 0; j < indexes.Count; j++)
            {
                positions[indexes[j]] = new IngestedRecord(partition, result.BaseOffset + j);
            }
            written.Add((partition, result.LastOffset));
        }
        // Acknowledge only what survives a power cut: the batches share group commits, so waiting after appending all is cheaper.
        foreach (var (partition, lastOffset) in written)
        {
            await store.WaitForDurableAsync(topic, partition, lastOffset, cancellationToken);
        }
        return positions;
    }

    private static LogRecord RawRecord(HttpRequest request, ReadOnlyMemory<byte> body)
    {
        var key = request.Headers[KeyHeader].ToString();
        var contentType = request.ContentType;
        return new LogRecord(
            body,
            string.IsNullOrEmpty(key) ? null : Encoding.UTF8.GetBytes(key),
            headers: string.IsNullOrEmpty(contentType) ? null : [new RecordHeader("content-type", Encoding.UTF8.GetBytes(contentType))]);
    }
}

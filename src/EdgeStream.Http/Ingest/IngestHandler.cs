using System.Text;
using EdgeStream.Log;
using EdgeStream.Log.Ingest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStream.Http.Ingest;

/// <summary>
/// <c>POST /api/v1/topics/{topic}/records</c>: parses the body (JSON array, JSON lines or raw, by Content-Type), appends
/// the records — keyed ones to their key's partition, unkeyed ones of one request together to one round-robin
/// partition, one batch per partition so each partition's share is stored atomically and in request order — and answers
/// 200 with the offsets only once every batch is durable. The whole body is parsed before anything is appended, so a
/// bad record anywhere stores nothing (400). When the records span partitions and one partition refuses its batch
/// (disk budget, failed partition), the others may be stored: then the answer is 207 with a result per record, never
/// a plain error for stored records; when nothing is stored, a plain error. Appends go through the <c>http</c> ingest
/// writer. Thread-safe.
/// </summary>
internal sealed class IngestHandler([FromKeyedServices(IngestHandler.IngestSource)] IIngestWriter log, IOptions<HttpOptions> options, ILogger<IngestHandler> logger)
{
    /// <summary>The ingest source name of HTTP ingest's log writer (metrics tag <c>source</c>; its DI key).</summary>
    public const string IngestSource = "http";

    /// <summary>Header carrying the key of a raw-body record.</summary>
    public const string KeyHeader = "X-EdgeStream-Key";

    private readonly HttpOptions _options = options.Value;
    private int _roundRobin = -1;

    public static void Map(IEndpointRouteBuilder api)
        => api.MapPost("/topics/{topic}/records", (HttpContext context, string topic, IngestHandler handler) => handler.HandleAsync(context, topic));

    public async Task<IResult> HandleAsync(HttpContext context, string topic)
    {
        if (!TopicName.IsValidForIngest(topic, out var reason))
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
            info = log.EnsureTopic(topic);
        }
        catch (UnknownTopicException)
        {
            return Problems.NotFound($"Topic '{topic}' does not exist and Log:AutoCreateTopics is false.");
        }
        catch (TopicLimitException e)
        {
            return Problems.Create(StatusCodes.Status507InsufficientStorage, e.Message);
        }
        var outcome = await AppendDurablyAsync(topic, info.Partitions.Count, records, cancellationToken);
        if (outcome.Failures.Count == 0)
        {
            HttpLog.Ingested(logger, topic, records.Count);
            return TypedResults.Json(new IngestResponse(topic, records.Count, records.Count, 0, outcome.Records), HttpJsonContext.Default.IngestResponse);
        }
        var stored = outcome.Records.Count(r => r.Offset is not null);
        foreach (var failure in outcome.Failures)
        {
            Report(topic, failure, stored, records.Count);
        }
        if (stored == 0)
        {
            // Nothing of the request is durable: one plain error, as for a single-partition request.
            var first = outcome.Failures[0];
            return Problems.Create(first.Status, first.Detail);
        }
        // Records of one request went to several partitions and only some stored: never a plain error for stored
        // records, so the client learns which offsets it holds and which records to send again.
        return TypedResults.Json(new IngestResponse(topic, records.Count, stored, records.Count - stored, outcome.Records),
            HttpJsonContext.Default.IngestResponse, statusCode: StatusCodes.Status207MultiStatus);
    }

    /// <summary>
    /// Appends each partition's share as one batch (stored whole or not at all), then waits until every stored batch
    /// is durable. A partition that refuses its batch, or whose fsync fails, fails only its own records.
    /// </summary>
    private async Task<Outcome> AppendDurablyAsync(string topic, int partitionCount, List<LogRecord> records, CancellationToken cancellationToken)
    {
        var unkeyed = (int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)partitionCount);
        var groups = new Dictionary<int, List<int>>();
        for (var i = 0; i < records.Count; i++)
        {
            var partition = records[i].Key is { } key ? log.PartitionFor(topic, key.Span) : unkeyed;
            if (!groups.TryGetValue(partition, out var indexes))
            {
                groups[partition] = indexes = [];
            }
            indexes.Add(i);
        }
        var positions = new IngestedRecord[records.Count];
        var failures = new List<Failure>();
        var written = new List<(int Partition, long LastOffset, List<int> Indexes)>(groups.Count);
        foreach (var (partition, indexes) in groups)
        {
            try
            {
                var result = await log.AppendBatchAsync(topic, partition, [.. indexes.Select(i => records[i])], cancellationToken);
                for (var j = 0; j < indexes.Count; j++)
                {
                    positions[indexes[j]] = new IngestedRecord(partition, result.BaseOffset + j);
                }
                written.Add((partition, result.LastOffset, indexes));
            }
            catch (Exception e) when (Classify(e) is { } status)
            {
                Fail(positions, failures, partition, indexes, status, e);
            }
        }
        // Acknowledge only what survives a power cut: the batches share group commits, so waiting after appending all is cheaper.
        foreach (var (partition, lastOffset, indexes) in written)
        {
            try
            {
                await log.WaitForDurableAsync(topic, partition, lastOffset, cancellationToken);
            }
            catch (PartitionFailedException e)
            {
                Fail(positions, failures, partition, indexes, StatusCodes.Status503ServiceUnavailable, e);
            }
        }
        return new Outcome(positions, failures);
    }

    /// <summary>The status for an append error that fails only its own partition's records; <c>null</c> for anything else.</summary>
    private static int? Classify(Exception e) => e switch
    {
        LogFullException => StatusCodes.Status507InsufficientStorage,
        PartitionFailedException => StatusCodes.Status503ServiceUnavailable,
        UnknownTopicException => StatusCodes.Status404NotFound,
        // The log refuses a batch over its size limit before writing anything.
        ArgumentException => StatusCodes.Status413PayloadTooLarge,
        LogException => StatusCodes.Status503ServiceUnavailable,
        _ => null,
    };

    private static void Fail(IngestedRecord[] positions, List<Failure> failures, int partition, List<int> indexes, int status, Exception e)
    {
        foreach (var i in indexes)
        {
            positions[i] = new IngestedRecord(partition, null, status, e.Message);
        }
        failures.Add(new Failure(partition, status, e.Message, e));
    }

    private void Report(string topic, Failure failure, int stored, int count)
    {
        switch (failure.Exception)
        {
            case LogFullException full:
                HttpLog.IngestRefusedLogFull(logger, topic, full.Reason);
                break;
            case PartitionFailedException or not LogException:
                HttpLog.IngestFailed(logger, topic, failure.Exception);
                break;
        }
        if (stored > 0)
        {
            HttpLog.IngestPartiallyStored(logger, topic, stored, count, failure.Partition, failure.Detail);
        }
    }

    private sealed record Failure(int Partition, int Status, string Detail, Exception Exception);

    private sealed record Outcome(IngestedRecord[] Records, List<Failure> Failures);

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

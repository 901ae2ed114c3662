using System.Globalization;
using System.Text.Json;
using EdgeStream.Log;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStream.Http.Pull;

/// <summary>
/// <c>GET /api/v1/topics/{topic}/partitions/{partition}/records?offset=N&amp;maxBytes=M&amp;maxRecords=R&amp;waitMs=W</c>:
/// durable records from offset N as JSON lines in the <see cref="RecordJson"/> shape (the same as
/// <c>edgestream log dump --format jsonl</c>). When none are there yet it long-polls up to W ms (clamped to
/// <c>Http:MaxPullWaitMs</c>) and answers as soon as one becomes durable, or empty at the deadline. The offset to ask
/// for next is in <c>X-EdgeStream-Next-Offset</c>. A long poll also ends (empty) when the server stops, so a waiting
/// client never holds up a shutdown. Thread-safe.
/// </summary>
internal sealed class RecordsHandler(LogStore store, IOptions<HttpOptions> options, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<RecordsHandler> logger)
{
    public const string NextOffsetHeader = "X-EdgeStream-Next-Offset";
    public const string StartOffsetHeader = "X-EdgeStream-Start-Offset";
    public const string DurableOffsetHeader = "X-EdgeStream-Durable-Offset";
    private const int MaxBytesLimit = 16 << 20;
    private const int MaxRecordsLimit = 10_000;
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public static void Map(IEndpointRouteBuilder api)
        => api.MapGet("/topics/{topic}/partitions/{partition}/records",
            (HttpContext context, string topic, string partition, RecordsHandler handler) => handler.HandleAsync(context, topic, partition));

    public async Task<IResult> HandleAsync(HttpContext context, string topic, string partitionText)
    {
        var request = context.Request;
        if (PullArguments.Partition(store, topic, partitionText, out var partition) is { } badPartition)
        {
            return badPartition;
        }
        // Every value is parsed (so all are assigned); the first problem is answered.
        var badOffset = PullArguments.Long(request, "offset", 0, 0, long.MaxValue, out var offset);
        var badBytes = PullArguments.Long(request, "maxBytes", ReadLimits.Default.MaxBytes, 1, MaxBytesLimit, out var maxBytes);
        var badRecords = PullArguments.Long(request, "maxRecords", ReadLimits.Default.MaxRecords, 1, MaxRecordsLimit, out var maxRecords);
        var badWait = PullArguments.Long(request, "waitMs", 0, 0, int.MaxValue, out var waitMs);
        var problem = badOffset ?? badBytes ?? badRecords ?? badWait;
        if (problem is not null)
        {
            return problem;
        }
        var limits = new ReadLimits((int)maxRecords, (int)maxBytes);
        var cancellationToken = context.RequestAborted;
        ReadResult result;
        try
        {
            result = store.Read(topic, partition.Partition, offset, limits);
            var wait = Math.Min(waitMs, options.Value.MaxPullWaitMs);
            if (result.Records.Count == 0 && wait > 0)
            {
                result = await WaitAndReadAsync(topic, partition.Partition, result.NextOffset, limits, TimeSpan.FromMilliseconds(wait), cancellationToken) ?? result;
            }
        }
        catch (CorruptBatchException e)
        {
            HttpLog.PullFailed(logger, topic, partition.Partition, offset, e);
            return Problems.Create(StatusCodes.Status500InternalServerError, e.Message);
        }
        catch (PartitionParkedException e)
        {
            // Log:OnCorruption = stop-partition: this partition waits for an operator; the others keep serving.
            HttpLog.PullFailed(logger, topic, partition.Partition, offset, e);
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, e.Message);
        }

        var response = context.Response;
        response.ContentType = "application/x-ndjson; charset=utf-8";
        response.Headers[NextOffsetHeader] = result.NextOffset.ToString(CultureInfo.InvariantCulture);
        response.Headers[StartOffsetHeader] = result.LogStartOffset.ToString(CultureInfo.InvariantCulture);
        response.Headers[DurableOffsetHeader] = result.DurableOffset.ToString(CultureInfo.InvariantCulture);
        response.Headers.CacheControl = "no-store";
        var body = response.BodyWriter;
        await using (var writer = new Utf8JsonWriter(body, RecordJson.WriterOptions))
        {
            foreach (var record in result.Records)
            {
                RecordJson.Write(writer, record);
                await writer.FlushAsync(cancellationToken);
                writer.Reset();
                await body.WriteAsync(NewLine, cancellationToken);
            }
        }
        await body.FlushAsync(cancellationToken);
        return Results.Empty;
    }

    /// <summary>Waits for a durable record at <paramref name="from"/>, then reads; <c>null</c> when the wait timed out.</summary>
    private async Task<ReadResult?> WaitAndReadAsync(string topic, int partition, long from, ReadLimits limits, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(wait, time);
        var stopping = lifetime.ApplicationStopping;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token, stopping);
        try
        {
            await store.WaitForRecordsAsync(topic, partition, from, linked.Token);
        }
        catch (OperationCanceledException) when ((deadline.IsCancellationRequested || stopping.IsCancellationRequested) && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        return store.Read(topic, partition, from, limits);
    }
}

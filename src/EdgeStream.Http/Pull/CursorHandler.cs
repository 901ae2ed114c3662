using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeStream.Http.Status;
using EdgeStream.Log;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Http.Pull;

/// <summary>
/// Named cursors for upstream sync jobs: <c>PUT /api/v1/cursors/{name}/{topic}/{partition}</c> commits the next offset
/// (from <c>?offset=N</c>, a plain-number body, or <c>{"nextOffset": N}</c>) durably; <c>GET</c> on the same path reads
/// it back (404 before the first commit); <c>DELETE</c> on it deletes the cursor durably (204; 404 when it has no
/// position there), so a finished sync job stops holding back retention; <c>GET /api/v1/cursors</c> lists all. A
/// committed cursor holds back retention (see <c>TopicSettings.KeepUnconsumed</c>) until deleted or expired
/// (<c>Log:CursorIdleExpiry</c>). Thread-safe.
/// </summary>
internal sealed class CursorHandler(LogStore store, ILogger<CursorHandler> logger)
{
    private const int MaxBodyBytes = 1024;

    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapPut("/cursors/{name}/{topic}/{partition}",
            (HttpContext context, string name, string topic, string partition, CursorHandler handler) => handler.CommitAsync(context, name, topic, partition))
            .AddEndpointFilter<SinkCursorGuard>();
        api.MapGet("/cursors/{name}/{topic}/{partition}",
            (string name, string topic, string partition, CursorHandler handler) => handler.Get(name, topic, partition));
        api.MapDelete("/cursors/{name}/{topic}/{partition}",
            (HttpContext context, string name, string topic, string partition, CursorHandler handler) => handler.DeleteAsync(context, name, topic, partition))
            .AddEndpointFilter<SinkCursorGuard>();
        api.MapGet("/cursors", (LogStore store) => TypedResults.Json(
            new CursorsResponse(CursorViews.From(store, store.GetTopics())), HttpJsonContext.Default.CursorsResponse));
    }

    public async Task<IResult> CommitAsync(HttpContext context, string name, string topic, string partitionText)
    {
        if (!TopicName.IsValid(name, out var reason))
        {
            return Problems.BadRequest($"Invalid cursor name: {reason}.");
        }
        if (PullArguments.Partition(store, topic, partitionText, out var partition) is { } problem)
        {
            return problem;
        }
        var cancellationToken = context.RequestAborted;
        long offset;
        if (context.Request.Query.ContainsKey("offset"))
        {
            if (PullArguments.Long(context.Request, "offset", 0, 0, long.MaxValue, out offset) is { } bad)
            {
                return bad;
            }
        }
        else if (await RequestBody.ReadAsync(context.Request, MaxBodyBytes, cancellationToken) is not { } body)
        {
            return Problems.Create(StatusCodes.Status413PayloadTooLarge, $"A cursor body is at most {MaxBodyBytes} bytes.");
        }
        else if (ParseBody(body) is { } parsed)
        {
            offset = parsed;
        }
        else
        {
            return Problems.BadRequest("Give the next offset as ?offset=N, as a plain number body, or as {\"nextOffset\": N}.");
        }
        if (offset > partition.DurableOffset)
        {
            return Problems.BadRequest($"Offset {offset} is past the durable end of {topic}/{partition.Partition} ({partition.DurableOffset}).");
        }
        await store.CommitCursorAsync(name, topic, partition.Partition, offset, cancellationToken);
        HttpLog.CursorCommitted(logger, name, topic, partition.Partition, offset);
        return TypedResults.Json(new CursorResponse(name, topic, partition.Partition, offset), HttpJsonContext.Default.CursorResponse);
    }

    public IResult Get(string name, string topic, string partitionText)
    {
        if (!TopicName.IsValid(name, out var reason))
        {
            return Problems.BadRequest($"Invalid cursor name: {reason}.");
        }
        if (PullArguments.Partition(store, topic, partitionText, out var partition) is { } problem)
        {
            return problem;
        }
        return store.GetCursor(name, topic, partition.Partition) is { } next
            ? TypedResults.Json(new CursorResponse(name, topic, partition.Partition, next), HttpJsonContext.Default.CursorResponse)
            : Problems.NotFound($"Cursor '{name}' has not committed on {topic}/{partition.Partition}.");
    }

    public async Task<IResult> DeleteAsync(HttpContext context, string name, string topic, string partitionText)
    {
        if (!TopicName.IsValid(name, out var reason))
        {
            return Problems.BadRequest($"Invalid cursor name: {reason}.");
        }
        // The topic need not exist any more: a cursor can outlive it and must still be deletable.
        if (!TopicName.IsValid(topic, out reason))
        {
            return Problems.BadRequest($"Invalid topic name: {reason}.");
        }
        if (!int.TryParse(partitionText, NumberStyles.None, CultureInfo.InvariantCulture, out var partition))
        {
            return Problems.BadRequest($"Partition '{partitionText}' is not a non-negative integer.");
        }
        var deleted = await store.DeleteCursorAsync(name, topic, partition, context.RequestAborted);
        if (deleted.Count == 0)
        {
            return Problems.NotFound($"Cursor '{name}' has no position on {topic}/{partition}.");
        }
        HttpLog.CursorDeleted(logger, name, topic, partition, deleted[0].NextOffset);
        return TypedResults.NoContent();
    }

    /// <summary>A non-negative offset from <c>N</c> or <c>{"nextOffset": N}</c> (<c>"offset"</c> also accepted), or <c>null</c>.</summary>
    private static long? ParseBody(ReadOnlyMemory<byte> body)
    {
        var text = Encoding.UTF8.GetString(body.Span).Trim();
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var plain))
        {
            return plain;
        }
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (property.Name is "nextOffset" or "offset" && property.Value.TryGetInt64(out var value) && value >= 0)
                    {
                        return value;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON either: the caller answers 400 with the accepted forms.
        }
        return null;
    }
}

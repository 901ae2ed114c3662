using EdgeStream.Http.Status;
using EdgeStream.Log;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeStream.Http.Pull;

/// <summary><c>GET /api/v1/topics</c> and <c>GET /api/v1/topics/{topic}</c>: partitions with start/next/durable offsets and sizes. Stateless.</summary>
internal static class TopicsEndpoint
{
    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/topics", (LogStore store)
            => TypedResults.Json(new TopicsResponse([.. store.GetTopics().Select(TopicView.From)]), HttpJsonContext.Default.TopicsResponse));
        api.MapGet("/topics/{topic}", IResult (LogStore store, string topic) =>
        {
            if (!TopicName.IsValid(topic, out var reason))
            {
                return Problems.BadRequest($"Invalid topic name: {reason}.");
            }
            return store.GetTopic(topic) is { } info
                ? TypedResults.Json(TopicView.From(info), HttpJsonContext.Default.TopicView)
                : Problems.NotFound($"Unknown topic '{topic}'.");
        });
    }
}

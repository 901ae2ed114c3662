using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeStream.Http.Status;

/// <summary><c>GET /api/status</c>: the status snapshot as JSON, never cached. Stateless.</summary>
internal static class StatusEndpoint
{
    public static void Map(IEndpointRouteBuilder app)
        => app.MapGet("/api/status", (HttpContext context, StatusBuilder status) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            return TypedResults.Json(status.Build(), HttpJsonContext.Default.StatusDocument);
        });
}

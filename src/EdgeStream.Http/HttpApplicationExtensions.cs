using EdgeStream.Http.Auth;
using EdgeStream.Http.Health;
using EdgeStream.Http.Ingest;
using EdgeStream.Http.Metrics;
using EdgeStream.Http.Page;
using EdgeStream.Http.Pull;
using EdgeStream.Http.Status;
using Microsoft.Extensions.DependencyInjection;

// In the Builder namespace by convention, next to the framework's Map… extensions.
namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds EdgeStream's admin endpoints to the host's web application.</summary>
public static class HttpApplicationExtensions
{
    /// <summary>
    /// Adds the token check (every path but the probes, and <c>/metrics</c> if <c>Http:PublicMetrics</c>, needs
    /// <c>Http:Token</c> when one is set) and every admin endpoint: <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>,
    /// <c>/api/status</c>, the status page at <c>/</c>, and under <c>/api/v1</c> HTTP ingest, topics, the pull API and
    /// cursors. Needs <c>services.AddEdgeStreamHttp(…)</c>. Reads no options until the first request, so an invalid
    /// configuration is reported by the host's start-up validation with every other error.
    /// </summary>
    public static WebApplication MapEdgeStreamHttp(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Before any endpoint runs.
        app.Use((context, next) => context.RequestServices.GetRequiredService<TokenAuthMiddleware>().InvokeAsync(context, next));
        HealthEndpoints.Map(app);
        MetricsEndpoint.Map(app);
        StatusEndpoint.Map(app);
        StatusPage.Map(app);

        var api = app.MapGroup("/api/v1");
        IngestHandler.Map(api);
        TopicsEndpoint.Map(api);
        RecordsHandler.Map(api);
        CursorHandler.Map(api);
        return app;
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeStream.Http.Metrics;

/// <summary><c>GET /metrics</c>: the Prometheus scrape endpoint. Stateless.</summary>
internal static class MetricsEndpoint
{
    public static void Map(IEndpointRouteBuilder app)
        => app.MapGet("/metrics", (PrometheusExporter exporter) => TypedResults.Text(exporter.Scrape(), PrometheusText.ContentType));
}

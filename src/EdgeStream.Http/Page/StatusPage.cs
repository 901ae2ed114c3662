using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeStream.Http.Page;

/// <summary>
/// <c>GET /</c>: the self-contained status page (HTML, CSS and script in one embedded file; no CDN, the box may be
/// offline). The content security policy allows nothing but the page itself and calls back to this server, so even a
/// rendering bug cannot load or send anything elsewhere. Immutable after construction; thread-safe.
/// </summary>
internal sealed class StatusPage
{
    private const string ResourceName = "EdgeStream.Http.Page.status.html";
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private readonly byte[] _html;

    public StatusPage()
    {
        using var stream = typeof(StatusPage).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        _html = copy.ToArray();
    }

    public static void Map(IEndpointRouteBuilder app)
        => app.MapGet("/", (HttpContext context, StatusPage page) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.CacheControl = "no-cache";
            return TypedResults.Bytes(page._html, "text/html; charset=utf-8");
        });
}

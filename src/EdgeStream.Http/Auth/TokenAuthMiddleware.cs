using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStream.Http.Auth;

/// <summary>
/// Guards every path when <c>Http:Token</c> is set, except <c>/healthz</c> and <c>/readyz</c> (probes carry no
/// credentials) and <c>/metrics</c> when <c>Http:PublicMetrics</c> is on. Accepts <c>Authorization: Bearer &lt;token&gt;</c>,
/// or HTTP Basic with the token as password (any user name), so a browser can open the status page: the page asks for
/// Basic, and the browser then sends the same credentials with the page's own <c>/api/status</c> calls. No credentials
/// → 401 with a challenge; a wrong Bearer token → 403; a wrong Basic password → 401 again (the browser asks again).
/// Compares SHA-256 digests in constant time so neither content nor length leaks through timing. Without a token
/// everything passes (the validator allows that only on loopback or with <c>Http:AllowAnonymousOnNetwork</c>).
/// Immutable; thread-safe.
/// </summary>
internal sealed class TokenAuthMiddleware
{
    private const string Bearer = "Bearer ";
    private const string Basic = "Basic ";
    private readonly byte[]? _expected;
    private readonly bool _publicMetrics;
    private readonly ILogger _logger;

    public TokenAuthMiddleware(IOptions<HttpOptions> httpOptions, ILogger<TokenAuthMiddleware> logger)
    {
        ArgumentNullException.ThrowIfNull(httpOptions);
        var options = httpOptions.Value;
        _expected = options.RequiresToken ? SHA256.HashData(Encoding.UTF8.GetBytes(options.Token!)) : null;
        _publicMetrics = options.PublicMetrics;
        _logger = logger;
    }

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (_expected is null || IsPublic(context.Request.Path))
        {
            return next(context);
        }
        var header = context.Request.Headers.Authorization.ToString();
        // The page is opened by a browser, which only prompts for Basic; API clients are told to send a bearer token.
        var browser = context.Request.Path == "/" || header.StartsWith(Basic, StringComparison.OrdinalIgnoreCase);
        if (Presented(header) is not { } presented)
        {
            return RejectAsync(context, "missing token", StatusCodes.Status401Unauthorized, browser,
                "A token is required (Authorization: Bearer <Http:Token>, or Basic with the token as password).");
        }
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expected))
        {
            return browser
                ? RejectAsync(context, "wrong token", StatusCodes.Status401Unauthorized, browser: true, "The token is not valid.")
                : RejectAsync(context, "wrong token", StatusCodes.Status403Forbidden, browser: false, "The bearer token is not valid.");
        }
        return next(context);
    }

    private bool IsPublic(PathString path)
        => Is(path, "/healthz") || Is(path, "/readyz") || (_publicMetrics && Is(path, "/metrics"));

    // Routing ignores case and a trailing slash, so the guard must too.
    private static bool Is(PathString path, string open)
        => path.StartsWithSegments(open, StringComparison.OrdinalIgnoreCase, out var rest) && (!rest.HasValue || rest.Value == "/");

    /// <summary>The token from a Bearer header, or the password of a Basic one; <c>null</c> when there is none.</summary>
    private static string? Presented(string header)
    {
        if (header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            var token = header[Bearer.Length..].Trim();
            return token.Length > 0 ? token : null;
        }
        if (header.StartsWith(Basic, StringComparison.OrdinalIgnoreCase))
        {
            Span<byte> decoded = stackalloc byte[512];
            var encoded = header[Basic.Length..].Trim();
            if (encoded.Length > 680 || !Convert.TryFromBase64String(encoded, decoded, out var length))
            {
                return null;
            }
            var text = Encoding.UTF8.GetString(decoded[..length]);
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            var password = colon < 0 ? text : text[(colon + 1)..];
            return password.Length > 0 ? password : null;
        }
        return null;
    }

    private Task RejectAsync(HttpContext context, string reason, int status, bool browser, string detail)
    {
        HttpLog.AuthRejected(_logger, context.Request.Method, context.Request.Path.ToString(),
            context.Connection.RemoteIpAddress?.ToString() ?? "unknown", reason);
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = browser ? "Basic realm=\"edgestream\", charset=\"UTF-8\"" : "Bearer realm=\"edgestream\"";
        }
        return Problems.Create(status, detail).ExecuteAsync(context);
    }
}

using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Http.Auth;

/// <summary>
/// Guards <c>/api/v1/*</c> when <c>Http:Token</c> is set: no <c>Authorization: Bearer</c> header → 401 (with a
/// <c>WWW-Authenticate</c> challenge), a different token → 403. Without a token everything passes (the server listens
/// on loopback by default). Compares SHA-256 digests in constant time so neither content nor length leaks through
/// timing. Immutable; thread-safe.
/// </summary>
internal sealed class BearerTokenFilter : IEndpointFilter
{
    private const string Scheme = "Bearer ";
    private readonly byte[]? _expected;
    private readonly ILogger _logger;

    public BearerTokenFilter(string? token, ILogger<BearerTokenFilter> logger)
    {
        _expected = string.IsNullOrEmpty(token) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));
        _logger = logger;
    }

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (_expected is null)
        {
            return next(context);
        }
        var http = context.HttpContext;
        string header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || header.Length == Scheme.Length)
        {
            Reject(http, "missing bearer token");
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"edgestream\"";
            return ValueTask.FromResult<object?>(Problems.Create(StatusCodes.Status401Unauthorized, "A bearer token is required (Authorization: Bearer <Http:Token>)."));
        }
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()));
        if (!CryptographicOperations.FixedTimeEquals(presented, _expected))
        {
            Reject(http, "wrong bearer token");
            return ValueTask.FromResult<object?>(Problems.Create(StatusCodes.Status403Forbidden, "The bearer token is not valid."));
        }
        return next(context);
    }

    private void Reject(HttpContext http, string reason)
        => HttpLog.AuthRejected(_logger, http.Request.Method, http.Request.Path.ToString(),
            http.Connection.RemoteIpAddress?.ToString() ?? "unknown", reason);
}

using System.Net;
using Microsoft.Extensions.Options;

namespace EdgeStream.Http;

/// <summary>Validates <see cref="HttpOptions"/> at start; each failure names the configuration key. Stateless.</summary>
internal sealed class HttpOptionsValidator : IValidateOptions<HttpOptions>
{
    /// <summary>Upper bound for <see cref="HttpOptions.MaxBodyBytes"/>: ingest buffers a whole request in memory.</summary>
    public const long MaxBodyLimit = 256L << 20;

    /// <summary>Upper bound for <see cref="HttpOptions.MaxPullWaitMs"/>: longer polls outlive typical proxy timeouts.</summary>
    public const int MaxPullWaitLimit = 300_000;

    public ValidateOptionsResult Validate(string? name, HttpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var s = HttpOptions.SectionName;
        var address = TryParseAddress(options.Address);
        if (address is null)
        {
            failures.Add($"{s}:Address '{options.Address}' is not an IP address (use 127.0.0.1, 0.0.0.0, ::, * or localhost).");
        }
        else if (options.Port != 0 && !IPAddress.IsLoopback(address) && !options.RequiresToken && !options.AllowAnonymousOnNetwork)
        {
            failures.Add($"{s}:Token must be set because {s}:Address '{options.Address}' is not loopback (the admin API reads every record and moves cursors); "
                + $"set {s}:AllowAnonymousOnNetwork=true to serve it without authentication anyway.");
        }
        if (options.Port is < 0 or > 65535)
        {
            failures.Add($"{s}:Port must be between 0 (disabled) and 65535 (was {options.Port}).");
        }
        if (options.Token is { Length: > 0 } token && token.Any(char.IsWhiteSpace))
        {
            failures.Add($"{s}:Token must not contain whitespace.");
        }
        if (options.MaxBodyBytes is < 1 or > MaxBodyLimit)
        {
            failures.Add($"{s}:MaxBodyBytes must be between 1 and {MaxBodyLimit} (was {options.MaxBodyBytes}).");
        }
        if (options.MaxPullWaitMs is < 0 or > MaxPullWaitLimit)
        {
            failures.Add($"{s}:MaxPullWaitMs must be between 0 and {MaxPullWaitLimit} (was {options.MaxPullWaitMs}).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The address to bind, or <c>null</c> if <paramref name="address"/> is not one.</summary>
    public static IPAddress? TryParseAddress(string? address) => address?.Trim() switch
    {
        null or "" => null,
        "*" => IPAddress.Any,
        "localhost" => IPAddress.Loopback,
        var a => IPAddress.TryParse(a, out var ip) ? ip : null,
    };
}

using System.Net;
using EdgeStream.Validation;
using Microsoft.Extensions.Options;

namespace EdgeStream.Http;

/// <summary>
/// Validates <see cref="HttpOptions"/> at start: its data annotations (through the generated
/// <see cref="HttpOptionsAnnotations"/>) and the rules that span settings. Reports every failure at once, each naming its
/// configuration key. Stateless.
/// </summary>
internal sealed class HttpOptionsValidator : IValidateOptions<HttpOptions>
{
    private readonly HttpOptionsAnnotations _annotations = new();

    /// <summary>Upper bound for <see cref="HttpOptions.MaxBodyBytes"/>: ingest buffers a whole request in memory.</summary>
    public const long MaxBodyLimit = 256L << 20;

    /// <summary>Upper bound for <see cref="HttpOptions.MaxPullWaitMs"/>: longer polls outlive typical proxy timeouts.</summary>
    public const int MaxPullWaitLimit = 300_000;

    public ValidateOptionsResult Validate(string? name, HttpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var s = HttpOptions.SectionName;
        var failures = OptionsKeys.Map(_annotations.Validate(name, options), nameof(HttpOptions), s).ToList();
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

/// <summary>The data annotations of <see cref="HttpOptions"/> (generated; its failures name C# members, see <see cref="OptionsKeys"/>).</summary>
[OptionsValidator]
internal sealed partial class HttpOptionsAnnotations : IValidateOptions<HttpOptions>;

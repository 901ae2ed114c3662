using System.Globalization;
using EdgeStream.Forwarding;

namespace EdgeStream.Sinks.Http;

/// <summary>Validated settings of an HTTP sink (keys documented in docs/forwarding.md). Immutable.</summary>
internal sealed record HttpSinkSettings(Uri Url, bool Gzip, string? BearerToken, string? Username, string? Password, IReadOnlyList<KeyValuePair<string, string>> Headers, TimeSpan Timeout)
{
    /// <summary>Settings keys starting with this prefix are sent as request headers (<c>Header.X-Api-Key</c>).</summary>
    public const string HeaderPrefix = "Header.";

    public static HttpSinkSettings From(SinkOptions options, string path)
    {
        var text = options.Setting("Url") ?? throw new ArgumentException($"{path}:Url must be set (http:// or https:// URL).");
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"{path}:Url '{SecretRedaction.Redact(text)}' is not an http:// or https:// URL.");
        }
        // Credentials in the URL become Basic auth (unless Username is set), and leave the URL: it appears in errors.
        var (userName, password) = (options.Setting("Username"), options.Setting("Password"));
        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            if (userName is null)
            {
                var parts = url.UserInfo.Split(':', 2);
                userName = Uri.UnescapeDataString(parts[0]);
                password = parts.Length == 2 ? Uri.UnescapeDataString(parts[1]) : password;
            }
            url = SecretRedaction.WithoutUserInfo(url);
        }
        var gzipText = options.Setting("Gzip", "true");
        if (!bool.TryParse(gzipText, out var gzip))
        {
            throw new ArgumentException($"{path}:Gzip '{gzipText}' must be true or false.");
        }
        var timeoutText = options.Setting("TimeoutMs", "30000");
        if (!int.TryParse(timeoutText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var timeoutMs) || timeoutMs < 100)
        {
            throw new ArgumentException($"{path}:TimeoutMs '{timeoutText}' must be an integer of at least 100.");
        }
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (key, value) in options.Settings)
        {
            if (key.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                var name = key[HeaderPrefix.Length..];
                if (name.Length == 0 || name.Any(c => c <= ' ' || c >= 127 || c == ':'))
                {
                    throw new ArgumentException($"{path}:{key} does not name a valid HTTP header.");
                }
                headers.Add(new(name, value));
            }
        }
        return new HttpSinkSettings(url, gzip, options.Setting("BearerToken"), userName, password, headers, TimeSpan.FromMilliseconds(timeoutMs));
    }
}

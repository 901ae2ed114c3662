using System.Globalization;
using System.Text;

namespace EdgeStream.Forwarding;

/// <summary>
/// Parses the <c>edgestream run --sink &lt;uri&gt;</c> shorthand into <see cref="SinkOptions"/> with defaults:
/// <c>kafka://host:port</c>, <c>mqtt://host:port</c>, <c>mqtts://host:port</c>, <c>nats://host:port</c>,
/// <c>http://…</c> or <c>https://…</c>. Query parameters become type-specific settings
/// (e.g. <c>kafka://h:9092?TopicTemplate=edge.{topic}</c>). Every log topic is forwarded.
/// </summary>
public static class SinkUri
{
    /// <summary>Parses <paramref name="uri"/>.</summary>
    /// <exception cref="FormatException">Not a supported sink URI; the message says why.</exception>
    public static SinkOptions Parse(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!Uri.TryCreate(uri.Trim(), UriKind.Absolute, out var u) || string.IsNullOrEmpty(u.Host))
        {
            throw new FormatException($"Sink '{SecretRedaction.Redact(uri)}' is not an absolute URI with a host.");
        }
        var options = new SinkOptions();
        var scheme = u.Scheme.ToLowerInvariant();
        switch (scheme)
        {
            case "kafka":
                options.Type = "kafka";
                options.Settings["BootstrapServers"] = HostPort(u, 9092);
                break;
            case "mqtt":
            case "mqtts":
                options.Type = "mqtt";
                options.Settings["Host"] = u.Host;
                options.Settings["Port"] = (u.IsDefaultPort || u.Port < 0 ? (scheme == "mqtts" ? 8883 : 1883) : u.Port).ToString(CultureInfo.InvariantCulture);
                options.Settings["Tls"] = scheme == "mqtts" ? "true" : "false";
                break;
            case "nats":
                options.Type = "nats";
                options.Settings["Url"] = "nats://" + HostPort(u, 4222);
                break;
            case "http":
            case "https":
                options.Type = "http";
                // The user info moves to Username/Password below, so the URL the sink prints in errors holds no password.
                options.Settings["Url"] = SecretRedaction.WithoutUserInfo(u).GetLeftPart(UriPartial.Path);
                break;
            default:
                throw new FormatException($"Sink '{SecretRedaction.Redact(uri)}': scheme '{u.Scheme}' is not one of kafka, mqtt, mqtts, nats, http, https.");
        }
        if (!string.IsNullOrEmpty(u.UserInfo) && options.Type is "mqtt" or "http" or "nats")
        {
            var parts = u.UserInfo.Split(':', 2);
            options.Settings["Username"] = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                options.Settings["Password"] = Uri.UnescapeDataString(parts[1]);
            }
        }
        foreach (var pair in u.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            options.Settings[Uri.UnescapeDataString(kv[0])] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "true";
        }
        options.Name = NameFor(scheme, u);
        return options;
    }

    private static string HostPort(Uri u, int defaultPort)
        => string.Create(CultureInfo.InvariantCulture, $"{u.Host}:{(u.Port > 0 ? u.Port : defaultPort)}");

    // The name doubles as the cursor name, so it must be stable for the same URI and use only [A-Za-z0-9._-].
    private static string NameFor(string scheme, Uri u)
    {
        var raw = u.Port > 0 && !u.IsDefaultPort ? $"{scheme}-{u.Host}-{u.Port.ToString(CultureInfo.InvariantCulture)}" : $"{scheme}-{u.Host}";
        if (scheme is "http" or "https" && u.AbsolutePath.Length > 1)
        {
            raw += "-" + u.AbsolutePath.Trim('/');
        }
        var sb = new StringBuilder(raw.Length);
        foreach (var c in raw)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : c == '.' && sb.Length > 0 ? '.' : '-');
        }
        return sb.ToString();
    }
}

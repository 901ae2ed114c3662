using System.Globalization;
using EdgeStream.Forwarding;

namespace EdgeStream.Sinks.Nats;

/// <summary>Validated settings of a NATS JetStream sink (keys documented in docs/forwarding.md). Immutable.</summary>
internal sealed record NatsSinkSettings(
    string Url,
    string SubjectTemplate,
    string? Stream,
    bool CreateStream,
    int Replicas,
    string? Username,
    string? Password,
    string? Token,
    TimeSpan AckTimeout)
{
    public static NatsSinkSettings From(SinkOptions options, string path)
    {
        var url = options.Setting("Url") ?? throw new ArgumentException($"{path}:Url must be set (nats://host:port[,nats://host:port…]).");
        foreach (var u in url.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Uri.TryCreate(u, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("nats" or "tls" or "ws" or "wss"))
            {
                throw new ArgumentException($"{path}:Url '{SecretRedaction.Redact(u)}' is not a nats://, tls://, ws:// or wss:// URL.");
            }
        }
        var subject = options.Setting("SubjectTemplate", "{topic}");
        if (subject.Contains(' ', StringComparison.Ordinal) || subject.Contains('*', StringComparison.Ordinal) || subject.Contains('>', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{path}:SubjectTemplate '{subject}' must be a literal subject (no spaces or wildcards) with optional {{topic}} and {{partition}}.");
        }
        var create = Bool(options, "CreateStream", false, path);
        var stream = options.Setting("Stream");
        if (create && stream is null)
        {
            throw new ArgumentException($"{path}:Stream must be set when CreateStream is true.");
        }
        var replicas = Int(options, "Replicas", 1, 1, 5, path);
        var ackMs = Int(options, "AckTimeoutMs", 5000, 100, 600_000, path);
        return new NatsSinkSettings(url, subject, stream, create, replicas, options.Setting("Username"), options.Setting("Password"), options.Setting("Token"), TimeSpan.FromMilliseconds(ackMs));
    }

    public string SubjectFor(string topic, int partition)
        => SubjectTemplate.Replace("{topic}", topic, StringComparison.Ordinal).Replace("{partition}", partition.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>The subject filter the created stream captures: the template with each placeholder as a <c>*</c> token.</summary>
    public string StreamSubjects => SubjectTemplate.Replace("{topic}", "*", StringComparison.Ordinal).Replace("{partition}", "*", StringComparison.Ordinal);

    private static bool Bool(SinkOptions o, string key, bool fallback, string path)
    {
        var v = o.Setting(key);
        if (v is null)
        {
            return fallback;
        }
        return bool.TryParse(v, out var b) ? b : throw new ArgumentException($"{path}:{key} '{v}' must be true or false.");
    }

    private static int Int(SinkOptions o, string key, int fallback, int min, int max, string path)
    {
        var v = o.Setting(key);
        if (v is null)
        {
            return fallback;
        }
        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i >= min && i <= max
            ? i
            : throw new ArgumentException($"{path}:{key} '{v}' must be an integer between {min} and {max}.");
    }
}

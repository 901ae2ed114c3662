using System.Globalization;
using EdgeStream.Forwarding;

namespace EdgeStream.Sinks.Mqtt;

/// <summary>Validated settings of an MQTT sink (keys documented in docs/forwarding.md). Immutable.</summary>
internal sealed record MqttSinkSettings(
    string Host,
    int Port,
    string ClientId,
    string TopicTemplate,
    bool UseOriginalTopic,
    uint SessionExpirySeconds,
    string? Username,
    string? Password,
    bool Tls,
    string? CaFile,
    string? CertFile,
    string? KeyFile,
    bool AllowUntrustedCertificates,
    TimeSpan Timeout)
{
    /// <summary>The record header holding the MQTT topic a record was ingested under.</summary>
    public const string OriginalTopicHeader = "mqtt.topic";

    public static MqttSinkSettings From(SinkOptions options, string defaultClientId, string path)
    {
        var host = options.Setting("Host") ?? throw new ArgumentException($"{path}:Host must be set.");
        var tls = Bool(options, "Tls", false, path);
        var port = Int(options, "Port", tls ? 8883 : 1883, 1, 65535, path);
        var cert = options.Setting("CertFile");
        var key = options.Setting("KeyFile");
        if ((cert is null) != (key is null))
        {
            throw new ArgumentException($"{path}:{(cert is null ? "CertFile" : "KeyFile")} must be set together with {(cert is null ? "KeyFile" : "CertFile")}.");
        }
        foreach (var (k, file) in new[] { ("CaFile", options.Setting("CaFile")), ("CertFile", cert), ("KeyFile", key) })
        {
            if (file is not null && !File.Exists(file))
            {
                throw new ArgumentException($"{path}:{k} '{file}' does not exist.");
            }
        }
        if (!tls && (cert is not null || options.Setting("CaFile") is not null))
        {
            throw new ArgumentException($"{path}:Tls must be true when CaFile or CertFile is set.");
        }
        return new MqttSinkSettings(
            host,
            port,
            options.Setting("ClientId", defaultClientId),
            options.Setting("TopicTemplate", "{topic}"),
            Bool(options, "UseOriginalTopic", true, path),
            (uint)Int(options, "SessionExpirySeconds", 86_400, 0, int.MaxValue, path),
            options.Setting("Username"),
            options.Setting("Password"),
            tls,
            options.Setting("CaFile"),
            cert,
            key,
            Bool(options, "AllowUntrustedCertificates", false, path),
            TimeSpan.FromMilliseconds(Int(options, "TimeoutMs", 10_000, 100, 600_000, path)));
    }

    /// <summary>The MQTT topic of a record: its original one when it has one (and that is enabled), else the template.</summary>
    public string TopicFor(string topic, int partition, ReadOnlyMemory<byte>? originalTopic)
        => UseOriginalTopic && originalTopic is { Length: > 0 } t
            ? System.Text.Encoding.UTF8.GetString(t.Span)
            : TopicTemplate.Replace("{topic}", topic, StringComparison.Ordinal).Replace("{partition}", partition.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private static bool Bool(SinkOptions o, string key, bool fallback, string path)
    {
        var v = o.Setting(key);
        return v is null ? fallback : bool.TryParse(v, out var b) ? b : throw new ArgumentException($"{path}:{key} '{v}' must be true or false.");
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

namespace EdgeStream.Ingest.Mqtt.Routing;

/// <summary>Where a route takes the partition key from. Immutable.</summary>
internal abstract record KeySource
{
    /// <summary>No key: records spread round-robin over partitions.</summary>
    public sealed record None : KeySource;

    /// <summary>The publishing client's id (per-client order within one partition).</summary>
    public sealed record ClientId : KeySource;

    /// <summary>MQTT topic level <see cref="Index"/> (0-based).</summary>
    public sealed record TopicLevel(int Index) : KeySource;

    /// <summary>The first MQTT 5 user property called <see cref="Name"/>; falls back to the client id when absent.</summary>
    public sealed record UserProperty(string Name) : KeySource;

    /// <summary>Parses <c>clientid</c>, <c>none</c>, <c>{n}</c> or <c>property:NAME</c>.</summary>
    public static bool TryParse(string? text, out KeySource? source, out string reason)
    {
        reason = "";
        source = null;
        var t = (text ?? "clientid").Trim();
        if (t.Equals("clientid", StringComparison.OrdinalIgnoreCase))
        {
            source = new ClientId();
        }
        else if (t.Equals("none", StringComparison.OrdinalIgnoreCase) || t.Length == 0)
        {
            source = new None();
        }
        else if (t.StartsWith("property:", StringComparison.OrdinalIgnoreCase) && t.Length > "property:".Length)
        {
            source = new UserProperty(t["property:".Length..]);
        }
        else if (t.Length >= 3 && t[0] == '{' && t[^1] == '}' && int.TryParse(t.AsSpan(1, t.Length - 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
        {
            source = new TopicLevel(index);
        }
        else
        {
            reason = $"'{text}' is not one of clientid, none, {{n}}, property:NAME";
            return false;
        }
        return true;
    }
}

using EdgeStream.Ingest.Mqtt.Routing;

namespace EdgeStream.Ingest.Mqtt.Auth;

/// <summary>
/// One principal's publish/subscribe patterns. Patterns may contain <c>{username}</c> and <c>{clientid}</c>, replaced
/// per connection; a substituted value containing <c>/</c>, <c>+</c> or <c>#</c> matches nothing, so an identity cannot
/// widen its own ACL. A <c>null</c> list allows everything. Immutable; thread-safe.
/// </summary>
internal sealed class TopicAcl
{
    public static readonly TopicAcl AllowAll = new(null, null);

    private readonly IReadOnlyList<string>? _publish;
    private readonly IReadOnlyList<string>? _subscribe;

    public TopicAcl(IReadOnlyList<string>? publish, IReadOnlyList<string>? subscribe)
    {
        _publish = publish;
        _subscribe = subscribe;
    }

    public static TopicAcl From(MqttAclOptions? options) => options is null ? AllowAll : new TopicAcl(options.Publish, options.Subscribe);

    /// <summary>The patterns with identity placeholders resolved for one connection.</summary>
    public ConnectionAcl Bind(string? username, string clientId)
        => new(Resolve(_publish, username, clientId), Resolve(_subscribe, username, clientId));

    private static TopicFilter[]? Resolve(IReadOnlyList<string>? patterns, string? username, string clientId)
    {
        if (patterns is null)
        {
            return null;
        }
        var result = new List<TopicFilter>(patterns.Count);
        foreach (var pattern in patterns)
        {
            var needsUser = pattern.Contains("{username}", StringComparison.Ordinal);
            var needsClient = pattern.Contains("{clientid}", StringComparison.Ordinal);
            if ((needsUser && !IsSafeLevel(username)) || (needsClient && !IsSafeLevel(clientId)))
            {
                continue;
            }
            var resolved = pattern.Replace("{username}", username ?? "", StringComparison.Ordinal).Replace("{clientid}", clientId, StringComparison.Ordinal);
            if (TopicFilter.TryParse(resolved, out var filter, out _))
            {
                result.Add(filter!);
            }
        }
        return [.. result];
    }

    private static bool IsSafeLevel(string? value) => !string.IsNullOrEmpty(value) && value.AsSpan().IndexOfAny("/+#") < 0;
}

/// <summary>An ACL bound to one connection. Immutable; thread-safe.</summary>
internal sealed class ConnectionAcl(TopicFilter[]? publish, TopicFilter[]? subscribe)
{
    public bool MayPublish(string topic)
    {
        if (publish is null)
        {
            return true;
        }
        var levels = topic.Split('/');
        foreach (var f in publish)
        {
            if (f.Matches(levels))
            {
                return true;
            }
        }
        return false;
    }

    public bool MaySubscribe(string filter)
    {
        if (subscribe is null)
        {
            return true;
        }
        if (!TopicFilter.TryParse(filter, out var requested, out _))
        {
            return false;
        }
        foreach (var f in subscribe)
        {
            if (f.Covers(requested!))
            {
                return true;
            }
        }
        return false;
    }
}

using EdgeStream.Ingest.Mqtt.Broker.Sys;
using EdgeStream.Ingest.Mqtt.Routing;

namespace EdgeStream.Ingest.Mqtt.Auth;

/// <summary>
/// One principal's publish/subscribe patterns. Patterns may contain <c>{username}</c> and <c>{clientid}</c>, replaced
/// per connection; a substituted value containing <c>/</c>, <c>+</c> or <c>#</c> matches nothing, so an identity cannot
/// widen its own ACL. A <c>null</c> allow list allows everything. Deny lists (like Mosquitto's <c>topic deny</c>) are
/// checked first; a deny pattern whose placeholder cannot be resolved safely denies everything, so a hostile identity
/// cannot escape a deny entry. Immutable; thread-safe.
/// </summary>
internal sealed class TopicAcl
{
    public static readonly TopicAcl AllowAll = new(null, null);

    private readonly IReadOnlyList<string>? _publish;
    private readonly IReadOnlyList<string>? _subscribe;
    private readonly IReadOnlyList<string>? _denyPublish;
    private readonly IReadOnlyList<string>? _denySubscribe;

    public TopicAcl(IReadOnlyList<string>? publish, IReadOnlyList<string>? subscribe, IReadOnlyList<string>? denyPublish = null, IReadOnlyList<string>? denySubscribe = null)
    {
        _publish = publish;
        _subscribe = subscribe;
        _denyPublish = denyPublish;
        _denySubscribe = denySubscribe;
    }

    public static TopicAcl From(MqttAclOptions? options)
        => options is null ? AllowAll : new TopicAcl(options.Publish, options.Subscribe, options.DenyPublish, options.DenySubscribe);

    /// <summary>The patterns with identity placeholders resolved for one connection.</summary>
    public ConnectionAcl Bind(string? username, string clientId)
        => new(Resolve(_publish, username, clientId), Resolve(_subscribe, username, clientId),
            ResolveDeny(_denyPublish, username, clientId), ResolveDeny(_denySubscribe, username, clientId));

    private static TopicFilter[]? ResolveDeny(IReadOnlyList<string>? patterns, string? username, string clientId)
    {
        if (patterns is null || patterns.Count == 0)
        {
            return null;
        }
        var resolved = Resolve(patterns, username, clientId)!;
        // An unresolvable deny pattern was skipped by Resolve: fail closed by denying everything instead.
        return resolved.Length == patterns.Count ? resolved : [TopicFilter.Parse("#"), TopicFilter.Parse("$SYS/#")];
    }

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
internal sealed class ConnectionAcl(TopicFilter[]? publish, TopicFilter[]? subscribe, TopicFilter[]? denyPublish = null, TopicFilter[]? denySubscribe = null)
{
    /// <summary>Whether some topics may be withheld from this client's (granted) subscriptions.</summary>
    public bool HasReceiveDenials => denySubscribe is not null;

    /// <summary>
    /// Whether this client may publish to <paramref name="topic"/>. Never to <c>$SYS/...</c>, whatever the patterns
    /// say: only the broker writes its statistics (as in Mosquitto), so a device cannot forge them.
    /// </summary>
    public bool MayPublish(string topic)
    {
        if (SysTopics.IsSys(topic))
        {
            return false;
        }
        if (denyPublish is not null && AnyMatches(denyPublish, topic.Split('/')))
        {
            return false;
        }
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

    /// <summary>
    /// Whether a message on <paramref name="topic"/> may be delivered to this client through a granted subscription:
    /// a subscription overlapping a denied filter (<c>#</c> while <c>secret/#</c> is denied) is granted, and the
    /// denied topics are withheld from it here.
    /// </summary>
    public bool MayReceive(string topic) => denySubscribe is null || !AnyMatches(denySubscribe, topic.Split('/'));

    /// <summary>
    /// Whether a SUBSCRIBE to <paramref name="filter"/> is granted: refused when it lies wholly inside a denied filter,
    /// else checked against the allow list.
    /// </summary>
    public bool MaySubscribe(string filter)
    {
        if (!TopicFilter.TryParse(filter, out var requested, out _))
        {
            return false;
        }
        if (denySubscribe is not null)
        {
            foreach (var f in denySubscribe)
            {
                if (f.Covers(requested!))
                {
                    return false;
                }
            }
        }
        if (subscribe is null)
        {
            return true;
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

    private static bool AnyMatches(TopicFilter[] filters, string[] levels)
    {
        foreach (var f in filters)
        {
            if (f.Matches(levels))
            {
                return true;
            }
        }
        return false;
    }
}

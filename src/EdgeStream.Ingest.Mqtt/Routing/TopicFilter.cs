namespace EdgeStream.Ingest.Mqtt.Routing;

/// <summary>
/// MQTT topic filter matching (<c>+</c> one level, <c>#</c> the rest, as in MQTT 5 §4.7). A parsed filter is
/// immutable and thread-safe.
/// </summary>
internal sealed class TopicFilter
{
    private readonly string[] _levels;

    private TopicFilter(string filter, string[] levels)
    {
        Filter = filter;
        _levels = levels;
    }

    public string Filter { get; }

    /// <summary>Parses a filter, or returns <c>false</c> with the reason it is malformed.</summary>
    public static bool TryParse(string? filter, out TopicFilter? parsed, out string reason)
    {
        parsed = null;
        if (string.IsNullOrEmpty(filter))
        {
            reason = "the filter is empty";
            return false;
        }
        var levels = filter.Split('/');
        for (var i = 0; i < levels.Length; i++)
        {
            var level = levels[i];
            if (level == "#" && i != levels.Length - 1)
            {
                reason = "'#' must be the last level";
                return false;
            }
            if (level.Length > 1 && (level.Contains('#') || level.Contains('+')))
            {
                reason = $"level '{level}' mixes a wildcard with text";
                return false;
            }
        }
        parsed = new TopicFilter(filter, levels);
        reason = "";
        return true;
    }

    /// <summary>Parses a filter known to be valid (validated options).</summary>
    public static TopicFilter Parse(string filter)
        => TryParse(filter, out var parsed, out var reason) ? parsed! : throw new ArgumentException($"Invalid MQTT topic filter '{filter}': {reason}.", nameof(filter));

    /// <summary>True when a topic name, already split into levels, matches.</summary>
    public bool Matches(ReadOnlySpan<string> topicLevels)
    {
        // MQTT 5 §4.7.2: wildcards at the first level do not match topics starting with '$'.
        if (topicLevels.Length > 0 && topicLevels[0].StartsWith('$') && (_levels[0] == "#" || _levels[0] == "+"))
        {
            return false;
        }
        for (var i = 0; i < _levels.Length; i++)
        {
            var level = _levels[i];
            if (level == "#")
            {
                return true; // also matches the parent level itself ("a/#" matches "a").
            }
            if (i >= topicLevels.Length)
            {
                return false;
            }
            if (level != "+" && !string.Equals(level, topicLevels[i], StringComparison.Ordinal))
            {
                return false;
            }
        }
        return topicLevels.Length == _levels.Length;
    }

    /// <summary>True when the topic name matches.</summary>
    public bool Matches(string topic) => Matches(topic.Split('/'));

    /// <summary>
    /// True when every topic that <paramref name="requested"/> can match is also matched by this filter: the ACL check
    /// for SUBSCRIBE (a client allowed <c>dev/+/data</c> may subscribe to <c>dev/a/data</c> but not to <c>dev/#</c>).
    /// </summary>
    public bool Covers(TopicFilter requested)
    {
        var mine = _levels;
        var theirs = requested._levels;
        for (var i = 0; i < mine.Length; i++)
        {
            if (mine[i] == "#")
            {
                return true;
            }
            if (i >= theirs.Length)
            {
                return false;
            }
            if (theirs[i] == "#")
            {
                return false;
            }
            if (mine[i] == "+")
            {
                continue;
            }
            if (theirs[i] == "+" || !string.Equals(mine[i], theirs[i], StringComparison.Ordinal))
            {
                return false;
            }
        }
        return theirs.Length == mine.Length;
    }

    public override string ToString() => Filter;
}

using System.Text;
using EdgeStream.Log;

namespace EdgeStream.Ingest.Mqtt.Routing;

/// <summary>
/// A compiled routing rule: filter, log topic template (<c>{n}</c> = MQTT topic level n), key source, priority, drop.
/// Immutable and thread-safe.
/// </summary>
internal sealed class RouteRule
{
    private readonly string? _topicTemplate;
    private readonly bool _templated;

    public RouteRule(string name, TopicFilter filter, string? topicTemplate, KeySource key, bool drop)
    {
        Name = name;
        Filter = filter;
        _topicTemplate = topicTemplate;
        _templated = topicTemplate is not null && topicTemplate.Contains('{');
        Key = key;
        Drop = drop;
    }

    /// <summary>The configuration path of the rule (e.g. <c>Mqtt:Routes:2</c>), for logs.</summary>
    public string Name { get; }

    public TopicFilter Filter { get; }

    public KeySource Key { get; }

    public bool Drop { get; }

    /// <summary>
    /// The log topic for a matching MQTT topic, or <c>null</c> when the substituted name is not one ingest may write
    /// (a level with <c>/</c>-free but otherwise illegal characters, or one that makes it a dead-letter topic): MQTT
    /// input never reaches the file system unchecked.
    /// </summary>
    public string? LogTopicFor(string[] levels)
    {
        if (_topicTemplate is null)
        {
            return null;
        }
        if (!_templated)
        {
            return _topicTemplate;
        }
        var name = Substitute(_topicTemplate, levels);
        return name is not null && TopicName.IsValidForIngest(name, out _) ? name : null;
    }

    /// <summary>Replaces each <c>{n}</c> with level n; <c>null</c> if a level is missing.</summary>
    internal static string? Substitute(string template, string[] levels)
    {
        var sb = new StringBuilder(template.Length + 16);
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '{')
            {
                var close = template.IndexOf('}', i + 1);
                if (close > i + 1 && int.TryParse(template.AsSpan(i + 1, close - i - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
                {
                    if (index >= levels.Length)
                    {
                        return null;
                    }
                    sb.Append(levels[index]);
                    i = close;
                    continue;
                }
            }
            sb.Append(c);
        }
        return sb.ToString();
    }
}

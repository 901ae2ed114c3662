using System.Text;
using MQTTnet.Packets;

namespace EdgeStream.Ingest.Mqtt.Routing;

/// <summary>
/// Maps an MQTT topic to a log topic, key and priority: the first matching rule in configuration order wins, else the
/// default rule. Immutable after construction; thread-safe.
/// </summary>
internal sealed class MqttRouter
{
    private readonly RouteRule[] _rules;

    public MqttRouter(IReadOnlyList<RouteRule> rules, RouteRule defaultRule)
    {
        _rules = [.. rules];
        DefaultRule = defaultRule;
    }

    public RouteRule DefaultRule { get; }

    public IReadOnlyList<RouteRule> Rules => _rules;

    /// <summary>Builds the router from validated options.</summary>
    public static MqttRouter FromOptions(MqttIngestOptions options)
    {
        var rules = new List<RouteRule>(options.Routes.Count);
        for (var i = 0; i < options.Routes.Count; i++)
        {
            rules.Add(Compile($"{MqttIngestOptions.SectionName}:Routes:{i}", options.Routes[i]));
        }
        return new MqttRouter(rules, Compile($"{MqttIngestOptions.SectionName}:DefaultRoute", options.DefaultRoute));
    }

    private static RouteRule Compile(string name, MqttRouteOptions o)
    {
        KeySource.TryParse(o.Key, out var key, out _);
        return new RouteRule(name, TopicFilter.Parse(string.IsNullOrEmpty(o.Filter) ? "#" : o.Filter), o.Drop ? null : o.Topic, key!, o.Drop);
    }

    /// <summary>Routes one message.</summary>
    public RouteDecision Route(string mqttTopic, string clientId, IReadOnlyList<MqttUserProperty>? userProperties)
    {
        var levels = mqttTopic.Split('/');
        var rule = DefaultRule;
        foreach (var r in _rules)
        {
            if (r.Filter.Matches(levels))
            {
                rule = r;
                break;
            }
        }
        if (rule.Drop)
        {
            return new RouteDecision(RouteOutcome.Drop, null, null, rule);
        }
        var logTopic = rule.LogTopicFor(levels);
        if (logTopic is null)
        {
            return new RouteDecision(RouteOutcome.InvalidTopic, null, null, rule);
        }
        return new RouteDecision(RouteOutcome.Store, logTopic, KeyFor(rule.Key, levels, clientId, userProperties), rule);
    }

    private static byte[]? KeyFor(KeySource source, string[] levels, string clientId, IReadOnlyList<MqttUserProperty>? userProperties)
    {
        switch (source)
        {
            case KeySource.None:
                return null;
            case KeySource.TopicLevel level:
                // A filter like "a/#" can match topics shorter than the level asked for; keep per-client order then.
                return Encoding.UTF8.GetBytes(level.Index < levels.Length ? levels[level.Index] : clientId);
            case KeySource.UserProperty property:
                if (userProperties is not null)
                {
                    foreach (var p in userProperties)
                    {
                        if (string.Equals(p.Name, property.Name, StringComparison.Ordinal))
                        {
                            return p.ValueBuffer.ToArray();
                        }
                    }
                }
                return Encoding.UTF8.GetBytes(clientId);
            default:
                return Encoding.UTF8.GetBytes(clientId);
        }
    }
}

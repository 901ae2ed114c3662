using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using EdgeStream.Ingest.Mqtt.Auth;
using EdgeStream.Ingest.Mqtt.Routing;
using MQTTnet;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// What the broker knows about each session's subscriptions beyond MQTTnet's own table: the session's ACL (kept while
/// the session lives, so deny entries also hold for messages queued while it is offline), which subscriptions are
/// plain and which are shared (<c>$share/{group}/{filter}</c>, which MQTTnet does not support: they are subscribed in
/// MQTTnet as the plain inner filter and thinned out here), and the members of each share group with a round-robin
/// cursor. Bounded by the number of sessions and their subscriptions. Thread-safe.
/// </summary>
internal sealed class SubscriberDirectory
{
    private readonly ConcurrentDictionary<string, SessionEntry> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ShareGroup> _groups = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<MqttApplicationMessage, ConcurrentDictionary<string, string>> _choices = new();
    private readonly Func<string, bool> _isConnected;

    public SubscriberDirectory(Func<string, bool> isConnected) => _isConnected = isConnected;

    public int ShareGroupCount => _groups.Count;

    /// <summary>Subscriptions (plain and shared) of all sessions, as granted through SUBSCRIBE.</summary>
    public int SubscriptionCount()
    {
        var count = 0;
        foreach (var entry in _sessions.Values)
        {
            lock (entry)
            {
                count += entry.Plain.Count + entry.Shared.Count;
            }
        }
        return count;
    }

    /// <summary>A session starts (clean) or resumes: its ACL is the new connection's; clean start forgets subscriptions.</summary>
    public void Connected(string clientId, ConnectionAcl? acl, bool cleanStart)
    {
        if (cleanStart)
        {
            Forget(clientId);
        }
        var entry = _sessions.GetOrAdd(clientId, _ => new SessionEntry());
        entry.Acl = acl;
    }

    /// <summary>The session is gone (expired or replaced): drop its subscriptions and share memberships.</summary>
    public void Forget(string clientId)
    {
        if (_sessions.TryRemove(clientId, out var entry))
        {
            lock (entry)
            {
                foreach (var key in entry.Shared.Values)
                {
                    Leave(key, clientId);
                }
            }
        }
    }

    /// <summary>
    /// Records a granted subscription (<paramref name="group"/> is set for a shared one), unless it is new to the
    /// session and the session already holds <paramref name="max"/> subscriptions (<c>Mqtt:Limits:MaxSubscriptionsPerClient</c>):
    /// then nothing is recorded and the result is false. Subscribing again to a filter the session holds always succeeds.
    /// </summary>
    public bool TrySubscribe(string clientId, string filter, string? group, int max = int.MaxValue)
    {
        if (!TopicFilter.TryParse(filter, out var parsed, out _))
        {
            return true; // refused by the ACL check already (a malformed filter is never granted)
        }
        var entry = _sessions.GetOrAdd(clientId, _ => new SessionEntry());
        lock (entry)
        {
            var known = group is null ? entry.Plain.ContainsKey(filter) : entry.Shared.ContainsKey((group, filter));
            if (!known && entry.Plain.Count + entry.Shared.Count >= max)
            {
                return false;
            }
            if (group is null)
            {
                entry.Plain[filter] = parsed!;
                return true;
            }
            var key = group + "\0" + filter;
            entry.Shared[(group, filter)] = key;
            entry.SharedFilters[(group, filter)] = parsed!;
            _groups.GetOrAdd(key, _ => new ShareGroup()).Join(clientId);
            return true;
        }
    }

    /// <summary>Records an UNSUBSCRIBE of a plain filter or of a shared one.</summary>
    public void Unsubscribed(string clientId, string filter, string? group)
    {
        if (!_sessions.TryGetValue(clientId, out var entry))
        {
            return;
        }
        lock (entry)
        {
            if (group is null)
            {
                entry.Plain.Remove(filter);
            }
            else if (entry.Shared.Remove((group, filter), out var key))
            {
                entry.SharedFilters.Remove((group, filter));
                Leave(key, clientId);
            }
        }
    }

    /// <summary>
    /// Whether MQTTnet may queue <paramref name="message"/> for <paramref name="receiverId"/>: not when the receiver's
    /// ACL denies the topic; when the receiver gets it only through shared subscriptions, only if it is the member
    /// chosen for this message in one of those groups.
    /// </summary>
    public bool MayDeliver(string receiverId, MqttApplicationMessage message, bool retainedOnSubscribe)
    {
        if (!_sessions.TryGetValue(receiverId, out var entry))
        {
            return true; // not subscribed through a SUBSCRIBE we saw (e.g. the server API): MQTTnet decides.
        }
        var topic = message.Topic;
        if (entry.Acl is { HasReceiveDenials: true } acl && !acl.MayReceive(topic))
        {
            return false;
        }
        if (retainedOnSubscribe)
        {
            return true;
        }
        var levels = topic.Split('/');
        List<string>? groups = null;
        lock (entry)
        {
            foreach (var f in entry.Plain.Values)
            {
                if (f.Matches(levels))
                {
                    return true;
                }
            }
            foreach (var (id, f) in entry.SharedFilters)
            {
                if (f.Matches(levels))
                {
                    (groups ??= []).Add(entry.Shared[id]);
                }
            }
        }
        if (groups is null)
        {
            return true;
        }
        var choices = _choices.GetValue(message, _ => new ConcurrentDictionary<string, string>(StringComparer.Ordinal));
        foreach (var key in groups)
        {
            if (_groups.TryGetValue(key, out var group))
            {
                var chosen = choices.GetOrAdd(key, _ => group.Next(_isConnected) ?? receiverId);
                if (string.Equals(chosen, receiverId, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private void Leave(string key, string clientId)
    {
        if (_groups.TryGetValue(key, out var group) && group.Leave(clientId) == 0)
        {
            _groups.TryRemove(new KeyValuePair<string, ShareGroup>(key, group));
        }
    }

    private sealed class SessionEntry
    {
        public volatile ConnectionAcl? Acl;
        public readonly Dictionary<string, TopicFilter> Plain = new(StringComparer.Ordinal);
        public readonly Dictionary<(string Group, string Filter), string> Shared = [];
        public readonly Dictionary<(string Group, string Filter), TopicFilter> SharedFilters = [];
    }

    /// <summary>Members of one share group in join order, with a round-robin cursor that prefers connected members.</summary>
    private sealed class ShareGroup
    {
        private readonly List<string> _members = [];
        private int _next;

        public void Join(string clientId)
        {
            lock (_members)
            {
                if (!_members.Contains(clientId))
                {
                    _members.Add(clientId);
                }
            }
        }

        public int Leave(string clientId)
        {
            lock (_members)
            {
                _members.Remove(clientId);
                return _members.Count;
            }
        }

        public string? Next(Func<string, bool> isConnected)
        {
            lock (_members)
            {
                if (_members.Count == 0)
                {
                    return null;
                }
                for (var i = 0; i < _members.Count; i++)
                {
                    var candidate = _members[(_next + i) % _members.Count];
                    if (isConnected(candidate))
                    {
                        _next = (_next + i + 1) % _members.Count;
                        return candidate;
                    }
                }
                // Nobody connected: queue in the next member's session (it gets it when it resumes).
                var fallback = _members[_next % _members.Count];
                _next = (_next + 1) % _members.Count;
                return fallback;
            }
        }
    }
}

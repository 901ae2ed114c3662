using System.Collections.Concurrent;
using EdgeStream.Ingest.Mqtt.Auth;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Packets;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// MQTT 5 wills as the specification has them, which MQTTnet's server does not: it publishes a will the moment the
/// connection drops, ignoring the Will Delay Interval, and never for DISCONNECT 0x04 "with will message". Every MQTT 5
/// will is taken out of the CONNECT before MQTTnet stores it and published here once the delay or the session's
/// expiry, whichever is shorter, has passed without the client reconnecting (MQTT 5 §3.1.3.2.2). The
/// connection's publish ACL is checked when the will goes out, as MQTTnet's own wills are checked by the publish
/// interceptor. Thread-safe.
/// </summary>
internal sealed class WillDelay : IDisposable
{
    private readonly ConcurrentDictionary<string, ITimer> _pending = new(StringComparer.Ordinal);
    private readonly Func<string, string?, MqttApplicationMessage, Task> _publish;
    private readonly Func<string, bool> _isConnected;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="publish">Publishes a will as sent by a client id and user name.</param>
    /// <param name="isConnected">Whether a client id has a live connection.</param>
    /// <param name="time">Clock of the delays.</param>
    /// <param name="logger">Where wills that could not go out are reported.</param>
    public WillDelay(Func<string, string?, MqttApplicationMessage, Task> publish, Func<string, bool> isConnected, TimeProvider time, ILogger logger)
    {
        _publish = publish;
        _isConnected = isConnected;
        _time = time;
        _logger = logger;
    }

    /// <summary>Wills waiting for their delay.</summary>
    public int Pending => _pending.Count;

    /// <summary>
    /// Takes the will out of an MQTT 5 CONNECT (MQTTnet then knows of no will); <c>null</c> when it has none.
    /// </summary>
    public static DeferredWill? TakeOver(MqttConnectPacket connect)
    {
        if (!connect.WillFlag)
        {
            return null;
        }
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(connect.WillTopic)
            .WithPayload(connect.WillMessage ?? [])
            .WithQualityOfServiceLevel(connect.WillQoS)
            .WithRetainFlag(connect.WillRetain)
            .WithPayloadFormatIndicator(connect.WillPayloadFormatIndicator)
            .WithMessageExpiryInterval(connect.WillMessageExpiryInterval);
        if (connect.WillContentType is { } contentType)
        {
            builder.WithContentType(contentType);
        }
        if (connect.WillResponseTopic is { } responseTopic)
        {
            builder.WithResponseTopic(responseTopic);
        }
        if (connect.WillCorrelationData is { } correlation)
        {
            builder.WithCorrelationData(correlation);
        }
        foreach (var p in connect.WillUserProperties ?? [])
        {
            builder.WithUserProperty(p.Name, p.ValueBuffer);
        }
        connect.WillFlag = false;
        return new DeferredWill(builder.Build(), connect.WillDelayInterval);
    }

    /// <summary>A connection for <paramref name="clientId"/> was accepted: a will still waiting is not sent.</summary>
    public void Connected(string clientId)
    {
        if (_pending.TryRemove(clientId, out var timer))
        {
            timer.Dispose();
        }
    }

    /// <summary>
    /// The connection of <paramref name="clientId"/> ended without a normal DISCONNECT: its will goes out after its
    /// delay or the session's expiry interval (seconds), whichever is shorter.
    /// </summary>
    public void Disconnected(string clientId, string? userName, DeferredWill will, ConnectionAcl? acl, uint sessionExpiryInterval)
    {
        var delay = TimeSpan.FromSeconds(Math.Min(will.DelaySeconds, sessionExpiryInterval));
        var timer = _time.CreateTimer(static s => { var (self, id, user, w, a) = ((WillDelay, string, string?, DeferredWill, ConnectionAcl?))s!; _ = self.SendAsync(id, user, w, a); },
            (this, clientId, userName, will, acl), delay, Timeout.InfiniteTimeSpan);
        if (_pending.TryGetValue(clientId, out var old))
        {
            old.Dispose();
        }
        _pending[clientId] = timer;
    }

    private async Task SendAsync(string clientId, string? userName, DeferredWill will, ConnectionAcl? acl)
    {
        if (!_pending.TryRemove(clientId, out var timer))
        {
            return; // cancelled by a reconnect just as the delay ran out
        }
        timer.Dispose();
        if (_isConnected(clientId))
        {
            return;
        }
        var topic = will.Message.Topic;
        if (acl is not null && !acl.MayPublish(topic))
        {
            MqttIngestLog.DelayedWillNotSent(_logger, clientId, topic, "not authorized to publish on its topic");
            return;
        }
        try
        {
            await _publish(clientId, userName, will.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A timer has no caller to report to: log it; the will is lost, as it would be with a server stopping.
            MqttIngestLog.DelayedWillNotSent(_logger, clientId, topic, e.Message);
        }
    }

    public void Dispose()
    {
        foreach (var t in _pending.Values)
        {
            t.Dispose();
        }
        _pending.Clear();
    }
}

/// <summary>A will taken over from a CONNECT, with its delay in seconds.</summary>
internal sealed record DeferredWill(MqttApplicationMessage Message, uint DelaySeconds);

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using MQTTnet.Formatter;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// Session Expiry (MQTT 5 §3.1.2.11.2, §3.14.2.2.2), the only expiry of the broker's sessions (MQTTnet is handed
/// "never" for a non-zero interval, see <see cref="Transport.GuardedChannelAdapter"/>): decides each session's interval
/// at CONNECT (capped at <c>Mqtt:Sessions:MaxExpiry</c>; MQTT 3.1.1 clean session 0 gets
/// <c>Mqtt:Sessions:DefaultExpiry</c>), takes a DISCONNECT's interval over it (read from the packet's bytes: an
/// explicit 0 ends the session at once), and deletes the session with its queued messages when it has been
/// disconnected that long. A reconnect cancels the countdown. It also bounds the sessions that outlive their
/// connection (<c>Mqtt:Sessions:MaxSessions</c>): a CONNECT that would start one more is refused. Thread-safe; one
/// timer per disconnected session (bounded by the sessions).
/// </summary>
internal sealed class SessionExpiry : IDisposable
{
    private readonly MqttSessionOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<string, Task> _deleteSession;
    private readonly Func<string, bool> _isConnected;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, uint> _intervals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ITimer> _countdowns = new(StringComparer.Ordinal);
    // Client ids whose session outlives its connection (granted interval > 0), connected or not.
    private readonly HashSet<string> _persistent = new(StringComparer.Ordinal);

    public SessionExpiry(MqttSessionOptions options, TimeProvider time, Func<string, Task> deleteSession, Func<string, bool> isConnected, ILogger logger)
    {
        _options = options;
        _time = time;
        _deleteSession = deleteSession;
        _isConnected = isConnected;
        _logger = logger;
    }

    public int Countdowns => _countdowns.Count;

    /// <summary>Sessions that outlive their connection, connected or not (bounded by <c>Mqtt:Sessions:MaxSessions</c>).</summary>
    public int PersistentSessions
    {
        get
        {
            lock (_persistent)
            {
                return _persistent.Count;
            }
        }
    }

    /// <summary>
    /// The interval granted to a CONNECT (<paramref name="granted"/>, seconds; 0 = ends with the connection; a v5 client
    /// asking for more than the maximum is told it in CONNACK). False, with nothing changed, when the CONNECT would start
    /// a session outliving its connection while <c>Mqtt:Sessions:MaxSessions</c> such sessions exist.
    /// </summary>
    public bool TryConnected(string clientId, MqttProtocolVersion version, bool cleanSession, uint requested, out uint granted)
    {
        var max = Seconds(_options.MaxExpiry);
        granted = version == MqttProtocolVersion.V500 ? Math.Min(requested, max) : cleanSession ? 0 : Math.Min(Seconds(_options.DefaultExpiry), max);
        lock (_persistent)
        {
            if (granted == 0)
            {
                _persistent.Remove(clientId);
            }
            else if (!_persistent.Contains(clientId))
            {
                if (_persistent.Count >= _options.MaxSessions)
                {
                    return false;
                }
                _persistent.Add(clientId);
            }
        }
        if (_countdowns.TryRemove(clientId, out var timer))
        {
            timer.Dispose();
        }
        _intervals[clientId] = granted;
        return true;
    }

    /// <summary>
    /// Starts the countdown of a session whose connection ended (not taken over). <paramref name="disconnectInterval"/>
    /// is the MQTT 5 DISCONNECT's Session Expiry Interval, <c>null</c> when it had none; 0 there ends the session now.
    /// </summary>
    public Task DisconnectedAsync(string clientId, MqttProtocolVersion version, uint? disconnectInterval)
    {
        if (!_intervals.TryGetValue(clientId, out var connectInterval))
        {
            return Task.CompletedTask;
        }
        var interval = version == MqttProtocolVersion.V500 && disconnectInterval is { } requested
            ? Math.Min(requested, Seconds(_options.MaxExpiry))
            : connectInterval;
        if (interval == 0)
        {
            _intervals.TryRemove(clientId, out _);
            Forget(clientId);
            // MQTTnet itself drops sessions whose CONNECT interval was 0 (v5) or that used clean session (3.1.1); one
            // that only the DISCONNECT set to 0 is ours to end, before the client can reconnect to it.
            return connectInterval == 0 ? Task.CompletedTask : ExpireAsync(clientId);
        }
        var timer = _time.CreateTimer(static s => { var (self, id) = ((SessionExpiry, string))s!; _ = self.ExpireAsync(id); },
            (this, clientId), TimeSpan.FromSeconds(interval), Timeout.InfiniteTimeSpan);
        if (_countdowns.TryGetValue(clientId, out var old))
        {
            old.Dispose();
        }
        _countdowns[clientId] = timer;
        return Task.CompletedTask;
    }

    /// <summary>The interval granted to the client's current or last connection (seconds; 0 when none is known).</summary>
    public uint IntervalOf(string clientId) => _intervals.TryGetValue(clientId, out var interval) ? interval : 0;

    /// <summary>Forgets a session deleted for any reason.</summary>
    public void Deleted(string clientId)
    {
        if (_countdowns.TryRemove(clientId, out var timer))
        {
            timer.Dispose();
        }
        _intervals.TryRemove(clientId, out _);
        Forget(clientId);
    }

    private void Forget(string clientId)
    {
        lock (_persistent)
        {
            _persistent.Remove(clientId);
        }
    }

    private async Task ExpireAsync(string clientId)
    {
        if (_countdowns.TryRemove(clientId, out var timer))
        {
            timer.Dispose();
        }
        if (_isConnected(clientId))
        {
            return; // resumed just as the countdown ran out
        }
        _intervals.TryRemove(clientId, out _);
        Forget(clientId);
        try
        {
            await _deleteSession(clientId);
            MqttIngestLog.SessionExpired(_logger, clientId);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // Already gone (or the server is stopping): nothing left to expire.
        }
        catch (Exception e)
        {
            // A timer callback has no caller to report to: log, and the session stays until the next attempt.
            MqttIngestLog.SessionExpiryFailed(_logger, e, clientId);
        }
    }

    private static uint Seconds(TimeSpan span) => span.TotalSeconds >= uint.MaxValue ? uint.MaxValue : (uint)Math.Ceiling(span.TotalSeconds);

    public void Dispose()
    {
        foreach (var t in _countdowns.Values)
        {
            t.Dispose();
        }
        _countdowns.Clear();
    }
}

using System.Collections.Concurrent;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// Server Keep Alive (MQTT 5 §3.2.2.3.14) for <c>Mqtt:MaxKeepAlive</c>: an MQTT 5 client asking for a longer keep alive
/// (or none) is told the maximum in CONNACK and held to it. MQTTnet's own monitor only knows the client's CONNECT value,
/// so a once-a-second scan disconnects (0x8D keep alive timeout) a capped client silent for 1.5 times the maximum.
/// MQTT 3.1.1 has no way to tell a client, so it keeps its own value. Thread-safe.
/// </summary>
internal sealed class ServerKeepAlive : IDisposable
{
    private readonly ushort _max;
    private readonly ConcurrentDictionary<string, ushort> _capped = new(StringComparer.Ordinal);
    private readonly ITimer? _timer;
    private readonly MqttServer _server;
    private int _scanning;

    public ServerKeepAlive(MqttServer server, TimeSpan max, TimeProvider time)
    {
        _server = server;
        _max = (ushort)Math.Min(ushort.MaxValue, (int)max.TotalSeconds);
        if (_max > 0)
        {
            _timer = time.CreateTimer(static s => _ = ((ServerKeepAlive)s!).ScanAsync(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>The keep alive to announce in CONNACK, or null to leave the client's own.</summary>
    public ushort? Connected(string clientId, MqttProtocolVersion version, ushort? requested)
    {
        if (_max == 0 || version != MqttProtocolVersion.V500 || requested is { } r && r != 0 && r <= _max)
        {
            _capped.TryRemove(clientId, out _);
            return null;
        }
        _capped[clientId] = _max;
        return _max;
    }

    public void Disconnected(string clientId) => _capped.TryRemove(clientId, out _);

    private async Task ScanAsync()
    {
        if (_capped.IsEmpty || Interlocked.Exchange(ref _scanning, 1) == 1)
        {
            return;
        }
        try
        {
            // MQTTnet stamps packets with DateTime.UtcNow; its "sent" timestamp is the last packet FROM the client.
            var now = DateTime.UtcNow;
            foreach (var client in await _server.GetClientsAsync())
            {
                if (_capped.TryGetValue(client.Id, out var keepAlive) && (now - client.LastPacketSentTimestamp).TotalSeconds > keepAlive * 1.5)
                {
                    _capped.TryRemove(client.Id, out _);
                    await client.DisconnectAsync(new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.KeepAliveTimeout });
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // Server stopping or the client already gone: the next scan sees the current state.
        }
        finally
        {
            Volatile.Write(ref _scanning, 0);
        }
    }

    public void Dispose() => _timer?.Dispose();
}

using System.Collections.Concurrent;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// The embedded broker's live connections by client id. A client id has at most one connection: a new CONNECT with
/// the same id replaces (takes over) the old one, as MQTT requires. Thread-safe.
/// </summary>
internal sealed class ClientRegistry
{
    private readonly ConcurrentDictionary<string, ClientConnection> _clients = new(StringComparer.Ordinal);

    public int Count => _clients.Count;

    public ClientConnection? Get(string clientId) => _clients.TryGetValue(clientId, out var c) ? c : null;

    /// <summary>
    /// Registers a connection, replacing an older one with the same id. The older one is not disposed here: its
    /// receive loop may still be finishing a packet; limiters need no disposal (no timers, see PublishRateLimiterFactory).
    /// </summary>
    public void Add(ClientConnection connection) => _clients[connection.ClientId] = connection;

    /// <summary>Forgets the connection of <paramref name="clientId"/> (not called on takeover: the id lives on).</summary>
    public void Remove(string clientId)
    {
        if (_clients.TryRemove(clientId, out var c))
        {
            c.Dispose();
        }
    }
}

using System.Collections.Concurrent;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// The embedded broker's connected clients by client id: a connection is registered once its CONNACK has been sent
/// and removed when it ends, so refused CONNECTs never leave an entry. A client id maps to its newest connection; an
/// older one (taken over) never removes its successor. Used for the connection limit. Thread-safe.
/// </summary>
internal sealed class ClientRegistry
{
    private readonly ConcurrentDictionary<string, ClientConnection> _clients = new(StringComparer.Ordinal);
    private int _peak;

    public int Count => _clients.Count;

    /// <summary>The most clients connected at once since start (<c>$SYS/broker/clients/maximum</c>).</summary>
    public int Peak => Volatile.Read(ref _peak);

    public ClientConnection? Get(string clientId) => _clients.TryGetValue(clientId, out var c) ? c : null;

    /// <summary>Registers a connection, replacing an older one with the same id (a takeover).</summary>
    public void Add(ClientConnection connection)
    {
        _clients[connection.ClientId] = connection;
        var count = _clients.Count;
        for (var peak = Volatile.Read(ref _peak); count > peak; peak = Volatile.Read(ref _peak))
        {
            if (Interlocked.CompareExchange(ref _peak, count, peak) == peak)
            {
                break;
            }
        }
    }

    /// <summary>Forgets <paramref name="connection"/> if it is still the one registered under its id.</summary>
    public void Remove(ClientConnection connection) => _clients.TryRemove(new KeyValuePair<string, ClientConnection>(connection.ClientId, connection));
}

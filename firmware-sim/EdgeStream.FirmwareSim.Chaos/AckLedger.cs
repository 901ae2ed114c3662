using System.Collections.Concurrent;

namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>Every message the service acknowledged, from any publisher. Thread-safe.</summary>
internal sealed class AckLedger
{
    private readonly ConcurrentDictionary<AckedMessage, byte> _acked = new();

    public void Add(string topic, string tag) => _acked.TryAdd(new AckedMessage(topic, tag), 0);

    public int Count => _acked.Count;

    public IReadOnlyCollection<AckedMessage> Snapshot() => [.. _acked.Keys];
}

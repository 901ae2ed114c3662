using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using EdgeStream.Ingest.Mqtt.Routing;
using EdgeStream.Log;
using MQTTnet;
using MQTTnet.Protocol;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// QoS 2 exactly once into the log across a restart (crash, kill -9, power cut) of EdgeStream, where the in-memory
/// <see cref="ExactlyOnceGuard"/> starts empty: a QoS 2 PUBLISH with DUP set whose identifier the guard does not know
/// is looked up in the log, among the records stored before this broker started and at most
/// <c>Mqtt:ExactlyOnceRecoveryWindow</c> before it. The last such record of the same client with the same identifier
/// (headers <c>mqtt.clientid</c>, <c>mqtt.packet-id</c>), in the partition the same route sends the message to (every
/// partition of the topic for an unkeyed route), is the original if its topic, QoS, retain flag and payload are equal
/// too: the PUBLISH is then answered with PUBREC (the original is durable: it lies below the end recovered at start)
/// without being stored again, and the guard learns it so PUBREL releases it. Anything else is a new message and is
/// stored: a record with other content (its identifier was released by a PUBREL, which is not recorded, and reused),
/// no record, or a failed read (at least once beats loss).
/// </summary>
/// <remarks>
/// <para>Only what can still be a retransmission from before the restart is looked up: a client stops being eligible
/// at its first new (non-DUP) QoS 1/2 PUBLISH since the start — MQTT clients resend their unacknowledged messages
/// first after reconnecting — or when its session starts clean or ends (it then discards its own state). So a new
/// message can never be mistaken for one stored before the restart under an identifier reused since.</para>
/// <para>Bounded: per log partition asked about, one scan of at most <c>Mqtt:ExactlyOnceRecoveryMaxRecords</c> of the
/// newest records in the window, on the thread pool, one scan at a time, into an index of (client id, packet id) →
/// last offset; lookups after it cost a dictionary probe and the read of one record. The lookups and their memory end
/// when the window has passed after the start. Nothing is read at start (start stays fast), and nothing at all when the
/// log was empty. Thread-safe.</para>
/// </remarks>
internal sealed class ExactlyOnceRecovery : IDisposable
{
    private const int ReadChunk = 1000;

    private readonly LogStore _store;
    private readonly TimeSpan _window;
    private readonly int _maxRecords;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _scans = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    // Clients past their retransmissions since the start (see remarks). Bounded by the clients seen within the window.
    private readonly ConcurrentDictionary<string, byte> _settled = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Topic, int Partition), Lazy<Task<Dictionary<(string ClientId, ushort PacketId), Entry>>>> _indexes = new();
    // Per log topic, each partition's end offset when the broker started: what lies below was stored before.
    private Dictionary<string, long[]> _ends = [];
    private DateTimeOffset _oldest;
    private ITimer? _end;
    private volatile bool _active;

    public ExactlyOnceRecovery(LogStore store, TimeSpan window, int maxRecords, TimeProvider time, ILogger logger)
    {
        _store = store;
        _window = window;
        _maxRecords = maxRecords;
        _time = time;
        _logger = logger;
    }

    /// <summary>True while lookups may happen (from <see cref="Start"/> until the window has passed).</summary>
    public bool IsActive => _active;

    /// <summary>
    /// Notes where the log ends: call once, before the broker accepts connections. In memory only (topic snapshots).
    /// </summary>
    public void Start()
    {
        if (_window <= TimeSpan.Zero)
        {
            return;
        }
        var ends = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var topic in _store.GetTopics())
        {
            if (topic.Partitions.Any(p => p.NextOffset > p.StartOffset))
            {
                var byPartition = new long[topic.Partitions.Max(p => p.Partition) + 1];
                foreach (var p in topic.Partitions)
                {
                    byPartition[p.Partition] = p.NextOffset;
                }
                ends[topic.Name] = byPartition;
            }
        }
        if (ends.Count == 0)
        {
            return; // nothing stored before: nothing to look up, no cost per publish
        }
        _ends = ends;
        _oldest = _time.GetUtcNow() - _window;
        _active = true;
        _end = _time.CreateTimer(static s => ((ExactlyOnceRecovery)s!).End(), this, _window, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The client's session started clean or ended: it has nothing from before the restart to resend.</summary>
    public void Settle(string clientId)
    {
        if (_active)
        {
            _settled.TryAdd(clientId, 0);
        }
    }

    /// <summary>
    /// For each QoS 1/2 PUBLISH with a packet identifier the guard does not hold, routed to <paramref name="logTopic"/>
    /// with partition key <paramref name="key"/>: where the original of a retransmission from before the restart is
    /// stored, or <c>null</c> to store the message. Synchronous unless a lookup is due.
    /// </summary>
    public ValueTask<LogPosition?> FindOriginalAsync(string clientId, ushort packetId, bool dup, MqttApplicationMessage message, string logTopic, byte[]? key,
        CancellationToken cancellationToken)
    {
        if (!_active)
        {
            return default;
        }
        if (!dup)
        {
            if (!_settled.ContainsKey(clientId))
            {
                _settled.TryAdd(clientId, 0);
            }
            return default;
        }
        if (message.QualityOfServiceLevel != MqttQualityOfServiceLevel.ExactlyOnce || _settled.ContainsKey(clientId) || !_ends.TryGetValue(logTopic, out var ends))
        {
            return default;
        }
        return new ValueTask<LogPosition?>(LookUpAsync(clientId, packetId, message, logTopic, key, ends, cancellationToken));
    }

    private async Task<LogPosition?> LookUpAsync(string clientId, ushort packetId, MqttApplicationMessage message, string topic, byte[]? key, long[] ends,
        CancellationToken cancellationToken)
    {
        var partition = -1;
        try
        {
            // Keyed: the same key goes to the same partition (xxHash32 modulo the partition count, which is stored with
            // the topic and never changes); unkeyed records went round-robin, so the original may be in any.
            var candidates = key is null ? Enumerable.Range(0, ends.Length) : [_store.PartitionFor(topic, key)];
            (int Partition, Entry Entry)? last = null;
            foreach (var p in candidates)
            {
                partition = p;
                if (p >= ends.Length || ends[p] == 0)
                {
                    continue;
                }
                var index = await IndexAsync(topic, p, ends[p]).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (index.TryGetValue((clientId, packetId), out var entry) && (last is null || entry.Timestamp >= last.Value.Entry.Timestamp))
                {
                    last = (p, entry);
                }
            }
            if (last is not { } found)
            {
                return null;
            }
            partition = found.Partition;
            // Read on the thread pool: the log's reads are synchronous file reads.
            var same = await Task.Run(() => IsSameMessage(topic, found.Partition, found.Entry.Offset, message), cancellationToken).ConfigureAwait(false);
            MqttIngestLog.Qos2RecoveredLookup(_logger, clientId, packetId, topic, found.Partition, found.Entry.Offset,
                same ? "is the original: acknowledged, not stored again" : "has other content: a new message, stored");
            return same ? new LogPosition(topic, found.Partition, found.Entry.Offset) : null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Corrupt or parked partition, a closing log: storing again beats losing the message.
            MqttIngestLog.Qos2RecoveryFailed(_logger, e, clientId, packetId, topic, partition);
            ForgetFailedIndexes(topic);
            return null;
        }
    }

    /// <summary>The partition's index, built by the first lookup that needs it; others wait for the same build.</summary>
    private Task<Dictionary<(string ClientId, ushort PacketId), Entry>> IndexAsync(string topic, int partition, long end)
        => _indexes.GetOrAdd((topic, partition), static (k, s) => new(() => s.Self.BuildAsync(k.Topic, k.Partition, s.End)), (Self: this, End: end)).Value;

    private void ForgetFailedIndexes(string topic)
    {
        foreach (var pair in _indexes)
        {
            if (pair.Key.Topic == topic && pair.Value.IsValueCreated && pair.Value.Value is { IsFaulted: true } or { IsCanceled: true })
            {
                _indexes.TryRemove(pair);
            }
        }
    }

    private async Task<Dictionary<(string ClientId, ushort PacketId), Entry>> BuildAsync(string topic, int partition, long end)
    {
        // One scan at a time: many clients resending at once after a restart share the two cores with the ingest.
        await _scans.WaitAsync(_stop.Token).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => Build(topic, partition, end), _stop.Token).ConfigureAwait(false);
        }
        finally
        {
            _scans.Release();
        }
    }

    private Dictionary<(string ClientId, ushort PacketId), Entry> Build(string topic, int partition, long end)
    {
        var started = _time.GetTimestamp();
        var from = Math.Max(_store.FindOffset(topic, partition, _oldest), end - _maxRecords);
        var index = new Dictionary<(string ClientId, ushort PacketId), Entry>();
        var clientIds = new Dictionary<string, string>(StringComparer.Ordinal);
        var next = from;
        var scanned = 0L;
        while (next < end && !_stop.IsCancellationRequested)
        {
            var read = _store.Read(topic, partition, next, new ReadLimits((int)Math.Min(ReadChunk, end - next), 4 << 20));
            foreach (var r in read.Records)
            {
                if (r.Offset >= end)
                {
                    break;
                }
                scanned++;
                if (r.GetHeader(MqttRecordFactory.PacketIdHeader) is { } id && r.GetHeader(MqttRecordFactory.ClientIdHeader) is { } client
                    && ushort.TryParse(id.Span, NumberStyles.None, CultureInfo.InvariantCulture, out var packetId))
                {
                    var clientId = Encoding.UTF8.GetString(client.Span);
                    if (!clientIds.TryGetValue(clientId, out var shared))
                    {
                        clientIds[clientId] = shared = clientId;
                    }
                    index[(shared, packetId)] = new Entry(r.Offset, r.Timestamp.ToUnixTimeMilliseconds()); // the last one wins
                }
            }
            if (read.NextOffset <= next)
            {
                break; // the durable end (nothing more can appear below the recovered end)
            }
            next = read.NextOffset;
        }
        MqttIngestLog.Qos2RecoveryIndexed(_logger, topic, partition, index.Count, scanned, from, end, _time.GetElapsedTime(started).TotalMilliseconds);
        return index;
    }

    /// <summary>Whether the record at the offset carries the same message: topic, QoS 2, retain flag and payload.</summary>
    private bool IsSameMessage(string topic, int partition, long offset, MqttApplicationMessage message)
    {
        var read = _store.Read(topic, partition, offset, new ReadLimits(1, 1));
        if (read.Records is not [var r, ..] || r.Offset != offset)
        {
            return false;
        }
        var payload = message.Payload;
        return HeaderIs(r, MqttRecordFactory.TopicHeader, Encoding.UTF8.GetBytes(message.Topic))
            && HeaderIs(r, MqttRecordFactory.QosHeader, "2"u8)
            && HeaderIs(r, MqttRecordFactory.RetainHeader, message.Retain ? "1"u8 : "0"u8)
            && r.Value.Length == payload.Length
            && (payload.IsSingleSegment ? r.Value.Span.SequenceEqual(payload.FirstSpan) : r.Value.Span.SequenceEqual(payload.ToArray()));
    }

    private static bool HeaderIs(StoredRecord record, string name, ReadOnlySpan<byte> expected)
        => record.GetHeader(name) is { } value && value.Span.SequenceEqual(expected);

    /// <summary>The window has passed since the start: no more lookups; the indexes' memory goes.</summary>
    private void End()
    {
        _active = false;
        _ends = [];
        _indexes.Clear();
        _settled.Clear();
    }

    public void Dispose()
    {
        _active = false;
        _end?.Dispose();
        // Not disposed: a scan still starting may read its token; cancelling is all it needs.
        _stop.Cancel();
        _indexes.Clear();
    }

    /// <summary>A QoS 2 record: its offset and timestamp (Unix ms, to pick the last over partitions).</summary>
    private readonly record struct Entry(long Offset, long Timestamp);
}

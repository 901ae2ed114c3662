using System.Buffers;
using EdgeStream.Log.Ingest;
using Microsoft.Extensions.Logging;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// Writes one connection's PUBACKs and PUBRECs in the order their PUBLISHes arrived, each once its record is durable,
/// and as many in one socket write as are ready. MQTTnet's send loop writes every packet alone and would wait out each
/// durability wait in turn; instead <see cref="DurableAckInterceptor"/> queues the acknowledgement here (PUBACKs from
/// the receive loop, PUBRECs from the send loop) and the loop goes on. A task that runs only while something is queued
/// waits for the oldest acknowledgement, then takes every later one that is durable by then too, so the
/// acknowledgements one fsync made durable leave together. A failed wait never becomes a success: MQTT 5 gets 0x80,
/// MQTT 3.1.1 is disconnected and nothing more is sent. Reason strings and user properties are not written (EdgeStream
/// sets none on acknowledgements). Two producers (the connection's receive and send loops, each queueing in its own
/// packets' order), one consumer (the running task); thread-safe.
/// </summary>
internal sealed class ConnectionAckWriter
{
    private const int MaxAckBytes = 5; // fixed header, remaining length, packet identifier, reason code
    private const int MaxPerWrite = 256;
    private const byte PubAckType = 4;
    private const byte PubRecType = 5;

    private readonly ClientConnection _connection;
    private readonly IIngestWriter _log;
    private readonly MqttIngestMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;

    // Bounded by the connection's in-flight limit: an entry is a publish whose acknowledgement has not left.
    private readonly Queue<QueuedAck> _queue = new();
    private readonly List<QueuedAck> _batch = new(MaxPerWrite);
    private bool _running;
    private bool _closed;

    /// <param name="connection">The connection the acknowledgements leave on.</param>
    /// <param name="log">Where durability is awaited.</param>
    /// <param name="metrics">Acknowledgement latency and refusals.</param>
    /// <param name="time">Clock of the acknowledgement latency.</param>
    /// <param name="logger">Durability failures.</param>
    /// <param name="stopping">The connection's lifetime (MQTTnet's token for its loops): ends the waits.</param>
    public ConnectionAckWriter(ClientConnection connection, IIngestWriter log, MqttIngestMetrics metrics, TimeProvider time, ILogger logger,
        CancellationToken stopping)
    {
        _connection = connection;
        _log = log;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _stopping = stopping;
    }

    /// <summary>Acknowledgements queued and not yet taken for a write (tests and diagnostics).</summary>
    internal int Queued
    {
        get
        {
            lock (_queue)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>
    /// Queues the acknowledgement of <paramref name="pending"/> (whose <c>AckReleased</c> this writer then owes):
    /// <paramref name="pubRec"/> for QoS 2, <paramref name="reasonCode"/> as MQTTnet would have sent it.
    /// </summary>
    public void Enqueue(in PendingAck pending, ushort packetId, bool pubRec, byte reasonCode)
    {
        lock (_queue)
        {
            if (_closed)
            {
                pending.Owner.AckReleased();
                return;
            }
            _queue.Enqueue(new QueuedAck(pending, packetId, pubRec ? PubRecType : PubAckType, reasonCode));
            if (_running)
            {
                return;
            }
            _running = true;
        }
        // Runs inline up to its first wait: an acknowledgement that may leave at once is written by the loop that queued
        // it, as MQTTnet would have. It contains its own faults.
        _ = RunAsync();
    }

    private async Task RunAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxPerWrite * MaxAckBytes);
        ValueTask carried = default;
        var hasCarried = false;
        try
        {
            while (true)
            {
                QueuedAck head;
                lock (_queue)
                {
                    if (!_queue.TryPeek(out head))
                    {
                        _running = false;
                        return;
                    }
                }
                var reason = head.ReasonCode;
                if (head.Pending.Action == AckAction.WaitDurable)
                {
                    var wait = hasCarried ? carried : WaitDurable(head.Pending);
                    hasCarried = false;
                    try
                    {
                        await wait.ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        if (!DurabilityFailed(head, e))
                        {
                            return;
                        }
                        reason = (byte)MqttPubAckReasonCode.UnspecifiedError;
                    }
                }
                _batch.Add(head with { ReasonCode = reason, Durable = head.Pending.Action == AckAction.WaitDurable && reason < 0x80 });
                Dequeue();
                // Everything after it that is durable already goes in the same write; the first that is not becomes the
                // next oldest, its wait carried over.
                while (_batch.Count < MaxPerWrite && TryPeek(out var next))
                {
                    if (next.Pending.Action == AckAction.WaitDurable)
                    {
                        var wait = WaitDurable(next.Pending);
                        if (!wait.IsCompletedSuccessfully)
                        {
                            (carried, hasCarried) = (wait, true);
                            break;
                        }
                        wait.GetAwaiter().GetResult();
                    }
                    _batch.Add(next with { Durable = next.Pending.Action == AckAction.WaitDurable });
                    Dequeue();
                }
                await WriteBatchAsync(buffer).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            // The connection is gone (its token ended the waits, or the socket write failed) or something broke: what is
            // queued can no longer leave, and its client resends after reconnecting.
            if (e is not (OperationCanceledException or MqttCommunicationException))
            {
                MqttIngestLog.ConnectionError(_logger, e, _connection.Transport?.Remote.ToString() ?? _connection.ClientId);
                _connection.Transport?.Abort();
            }
            Close();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private ValueTask WaitDurable(in PendingAck pending)
        => _log.WaitForDurableAsync(pending.Topic!, pending.Partition, pending.Offset, _stopping);

    private bool TryPeek(out QueuedAck next)
    {
        lock (_queue)
        {
            return _queue.TryPeek(out next);
        }
    }

    private void Dequeue()
    {
        lock (_queue)
        {
            _queue.Dequeue();
        }
    }

    private async Task WriteBatchAsync(byte[] buffer)
    {
        var length = 0;
        foreach (var ack in _batch)
        {
            length += Encode(buffer.AsSpan(length), ack);
        }
        try
        {
            if (_connection.Transport?.Channel is not { } channel)
            {
                throw new InvalidOperationException("the connection has no channel to write acknowledgements to");
            }
            await channel.WriteControlAsync(buffer.AsMemory(0, length), _batch.Count, _stopping).ConfigureAwait(false);
            foreach (var ack in _batch)
            {
                if (ack.Durable)
                {
                    _metrics.Acked("broker", _time.GetElapsedTime(ack.Pending.ReceivedAt));
                }
            }
        }
        finally
        {
            foreach (var ack in _batch)
            {
                ack.Pending.Owner.AckReleased();
            }
            _batch.Clear();
        }
    }

    /// <summary>
    /// The oldest acknowledgement's record is not stored. True when it is to be sent with 0x80 (MQTT 5); false when the
    /// connection was closed instead (MQTT 3.1.1 has no reason codes): then nothing else is sent on it.
    /// </summary>
    private bool DurabilityFailed(QueuedAck head, Exception e)
    {
        MqttIngestLog.DurabilityFailed(_logger, e, _connection.ClientId, head.Pending.Topic!, head.Pending.Partition, head.Pending.Offset);
        _metrics.Rejected("durability-failed");
        if (_connection.IsV5)
        {
            return true;
        }
        Close();
        _ = _connection.CloseAsync(MqttDisconnectReasonCode.UnspecifiedError);
        return false;
    }

    /// <summary>Nothing more leaves: what is queued (and whatever is queued later) is dropped and released.</summary>
    private void Close()
    {
        lock (_queue)
        {
            _closed = true;
            _running = false;
            while (_queue.TryDequeue(out var dropped))
            {
                dropped.Pending.Owner.AckReleased();
            }
        }
    }

    // MQTT 3.1.1 and MQTT 5 alike; MQTT 5 omits a success reason code (§3.4.2.1), MQTT 3.1.1 has none to send.
    private int Encode(Span<byte> into, in QueuedAck ack)
    {
        var withReason = ack.ReasonCode != 0 && _connection.IsV5;
        into[0] = (byte)(ack.Type << 4);
        into[1] = (byte)(withReason ? 3 : 2);
        into[2] = (byte)(ack.PacketId >> 8);
        into[3] = (byte)ack.PacketId;
        if (!withReason)
        {
            return 4;
        }
        into[4] = ack.ReasonCode;
        return 5;
    }

    private readonly record struct QueuedAck(PendingAck Pending, ushort PacketId, byte Type, byte ReasonCode, bool Durable = false);
}

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>What the acknowledgement (PUBACK/PUBREC) of one received QoS 1/2 PUBLISH must do before it may leave.</summary>
internal enum AckAction
{
    /// <summary>Wait until the log position is durable.</summary>
    WaitDurable,

    /// <summary>Leave at once: it carries a refusal reason code, or the route dropped the message, or durability was awaited inline.</summary>
    Release,

    /// <summary>Never leave: the publish was refused by disconnecting.</summary>
    Suppress,
}

/// <summary>
/// The acknowledgement of one received PUBLISH, recorded by <see cref="PublishIngestor"/> on the receive loop and
/// queued on the connection's <see cref="ConnectionAckWriter"/> by <see cref="DurableAckInterceptor"/> (QoS 1 from the
/// receive loop, QoS 2 from the send loop).
/// </summary>
/// <param name="Owner">The connection that received the PUBLISH; an acknowledgement only ever leaves on it.</param>
/// <param name="Action">What to do with the acknowledgement.</param>
/// <param name="Topic">Log topic of the append (for <see cref="AckAction.WaitDurable"/>).</param>
/// <param name="Partition">Partition of the append.</param>
/// <param name="Offset">Offset of the append.</param>
/// <param name="ReceivedAt">Timestamp (<see cref="TimeProvider.GetTimestamp"/>) when the PUBLISH was handled, for latency.</param>
internal readonly record struct PendingAck(ClientConnection Owner, AckAction Action, string? Topic = null, int Partition = 0, long Offset = 0, long ReceivedAt = 0);

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// What the acknowledgement (PUBACK/PUBREC) of one received PUBLISH must wait for before it may leave: the log position
/// to become durable, or nothing; or it must be suppressed because the publish was refused by disconnecting.
/// </summary>
/// <param name="Topic">Log topic of the append, or <c>null</c> when nothing was appended.</param>
/// <param name="Partition">Partition of the append.</param>
/// <param name="Offset">Offset of the append.</param>
/// <param name="ReceivedAt">Timestamp (<see cref="TimeProvider.GetTimestamp"/>) when the PUBLISH was handled, for latency.</param>
/// <param name="Suppress">Never send this acknowledgement (the client is being disconnected instead).</param>
internal readonly record struct PendingAck(string? Topic, int Partition, long Offset, long ReceivedAt, bool Suppress = false);

using Microsoft.Extensions.Logging;

namespace EdgeStream.Ingest.Mqtt;

/// <summary>Source-generated log messages of MQTT ingest. Event ids 4000-4099 are stable: alerting may key on them.</summary>
internal static partial class MqttIngestLog
{
    [LoggerMessage(4000, LogLevel.Information, "MQTT broker listening on {Endpoint} (tls: {Tls}, anonymous: {Anonymous})")]
    public static partial void Listening(ILogger logger, string endpoint, bool tls, bool anonymous);

    [LoggerMessage(4001, LogLevel.Warning, "MQTT listener {Endpoint} is not on loopback and accepts anonymous clients (Mqtt:AllowAnonymousOnNetwork is set)")]
    public static partial void AnonymousOnNetwork(ILogger logger, string endpoint);

    [LoggerMessage(4002, LogLevel.Information, "MQTT broker stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(4010, LogLevel.Warning, "MQTT client {ClientId} refused at CONNECT: {Reason} (user '{Username}', from {Remote})")]
    public static partial void ConnectRefused(ILogger logger, string clientId, string reason, string? username, string? remote);

    [LoggerMessage(4011, LogLevel.Warning, "MQTT client {ClientId}: publish to '{Topic}' rejected: {Reason} (reason code 0x{Code:X2}{Action})")]
    public static partial void PublishRejected(ILogger logger, string clientId, string topic, string reason, int code, string action);

    [LoggerMessage(4012, LogLevel.Warning, "MQTT client {ClientId}: subscription to '{Filter}' not authorized")]
    public static partial void SubscribeRejected(ILogger logger, string clientId, string filter);

    [LoggerMessage(4016, LogLevel.Warning, "MQTT client {ClientId}: subscription to '{Filter}' refused: the session holds {Limit} subscriptions (Mqtt:Limits:MaxSubscriptionsPerClient)")]
    public static partial void SubscriptionLimitReached(ILogger logger, string clientId, string filter, int limit);

    [LoggerMessage(4013, LogLevel.Error, "MQTT client {ClientId}: append to log topic '{Topic}' failed; not acknowledged")]
    public static partial void AppendFailed(ILogger logger, Exception exception, string clientId, string topic);

    [LoggerMessage(4014, LogLevel.Error, "MQTT client {ClientId}: waiting for durability of {Topic}/{Partition}@{Offset} failed; not acknowledged")]
    public static partial void DurabilityFailed(ILogger logger, Exception exception, string clientId, string topic, int partition, long offset);

    [LoggerMessage(4015, LogLevel.Debug, "MQTT client {ClientId}: message on '{Topic}' dropped by route {Rule}")]
    public static partial void DroppedByRoute(ILogger logger, string clientId, string topic, string rule);

    [LoggerMessage(4060, LogLevel.Warning, "MQTT client {ClientId}: looking up QoS 2 PUBLISH {PacketId} resent after the restart in {Topic}/{Partition} failed; storing it (it may be stored twice)")]
    public static partial void Qos2RecoveryFailed(ILogger logger, Exception exception, string clientId, ushort packetId, string topic, int partition);

    [LoggerMessage(4061, LogLevel.Information, "MQTT client {ClientId}: QoS 2 PUBLISH {PacketId} resent after the restart; the last record with its identifier, {Topic}/{Partition}@{Offset}, {Verdict}")]
    public static partial void Qos2RecoveredLookup(ILogger logger, string clientId, ushort packetId, string topic, int partition, long offset, string verdict);

    [LoggerMessage(4062, LogLevel.Information, "QoS 2 identifiers stored before the restart in {Topic}/{Partition}: {Entries} from {Scanned} records (offsets {From}-{End}) indexed in {ElapsedMs:F0} ms")]
    public static partial void Qos2RecoveryIndexed(ILogger logger, string topic, int partition, int entries, long scanned, long from, long end, double elapsedMs);

    [LoggerMessage(EventId = 4030, Message = "MQTTnet {Source}: {Message}")]
    public static partial void MqttNet(ILogger logger, LogLevel level, Exception? exception, string source, string message);

    [LoggerMessage(4020, LogLevel.Information, "MQTT upstream {Upstream} connected to {Endpoint} (session present: {SessionPresent})")]
    public static partial void UpstreamConnected(ILogger logger, string upstream, string endpoint, bool sessionPresent);

    [LoggerMessage(4021, LogLevel.Warning, "MQTT upstream {Upstream}: connection to {Endpoint} failed or lost; retrying in {Delay}")]
    public static partial void UpstreamRetry(ILogger logger, Exception? exception, string upstream, string endpoint, TimeSpan delay);

    [LoggerMessage(4022, LogLevel.Error, "MQTT upstream {Upstream}: message on '{Topic}' not stored ({Reason}); not acknowledged, the broker redelivers after reconnect")]
    public static partial void UpstreamNotStored(ILogger logger, Exception? exception, string upstream, string topic, string reason);

    [LoggerMessage(4023, LogLevel.Warning, "MQTT upstream {Upstream}: subscription to '{Filter}' refused by the broker: {Result}")]
    public static partial void UpstreamSubscribeRefused(ILogger logger, string upstream, string filter, string result);

    [LoggerMessage(4040, LogLevel.Warning, "MQTT connection from {Remote} (client '{ClientId}') closed: packet of {Size} bytes exceeds the limit of {Limit} bytes")]
    public static partial void PacketTooLarge(ILogger logger, string clientId, string remote, long size, int limit);

    [LoggerMessage(4041, LogLevel.Debug, "MQTT connection from {Remote} refused at accept: {Reason}")]
    public static partial void ConnectionRefusedAtAccept(ILogger logger, string remote, string reason);

    [LoggerMessage(4042, LogLevel.Information, "MQTT connection from {Remote} closed: no CONNECT completed within {Timeout}")]
    public static partial void ConnectTimedOut(ILogger logger, string remote, TimeSpan timeout);

    [LoggerMessage(4043, LogLevel.Debug, "MQTT connection from {Remote} ended: {Reason}")]
    public static partial void ConnectionFailed(ILogger logger, string remote, string reason);

    [LoggerMessage(4044, LogLevel.Error, "MQTT connection from {Remote} failed; only this connection is affected")]
    public static partial void ConnectionError(ILogger logger, Exception exception, string remote);

    [LoggerMessage(4045, LogLevel.Warning, "MQTT listener: accepting a connection failed; still listening")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(4046, LogLevel.Debug, "MQTT client {ClientId}: a message on {Topic} was not delivered ({Reason}); it counts as sent")]
    public static partial void OutboundDropped(ILogger logger, string clientId, string topic, string reason);

    [LoggerMessage(4047, LogLevel.Warning, "MQTT client {ClientId}: its will on {Topic} was not published: {Reason}")]
    public static partial void DelayedWillNotSent(ILogger logger, string clientId, string topic, string reason);

    [LoggerMessage(4048, LogLevel.Warning, "MQTT client {ClientId}: protocol error, {Reason}; disconnected (reason code 0x{Code:X2})")]
    public static partial void ProtocolError(ILogger logger, string clientId, string reason, int code);

    [LoggerMessage(4050, LogLevel.Warning, "MQTT broker statistics ($SYS) could not be published; retrying every Mqtt:SysInterval (logged once until it works again)")]
    public static partial void SysPublishFailed(ILogger logger, Exception exception);

    [LoggerMessage(4090, LogLevel.Information, "MQTT retained messages loaded from {Path}: {Loaded} ({Expired} expired while the broker was down, {Dropped} beyond the limits)")]
    public static partial void RetainedLoaded(ILogger logger, string path, int loaded, int expired, int dropped);

    [LoggerMessage(4091, LogLevel.Warning, "MQTT retained message snapshot {Path} is damaged ({Damage}); the {Valid} records before the damage were loaded and the file was kept as {CorruptPath}")]
    public static partial void RetainedSnapshotDamaged(ILogger logger, string path, string damage, int valid, string corruptPath);

    [LoggerMessage(4092, LogLevel.Warning, "MQTT retained message snapshot {Path} holds more than Mqtt:Limits:MaxRetainedMessages ({MaxMessages}) or MaxRetainedBytes ({MaxBytes}) allow: the newest were loaded, {Dropped} older ones were not")]
    public static partial void RetainedOverLimits(ILogger logger, string path, int maxMessages, long maxBytes, int dropped);

    [LoggerMessage(4093, LogLevel.Warning, "MQTT retained message snapshot {Path} could not be written; the retained messages stay in memory and the write is retried every Mqtt:RetainedSnapshotInterval (logged once until it works again)")]
    public static partial void RetainedSnapshotWriteFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(4094, LogLevel.Error, "MQTT retained message snapshot {Path} could not be read; the broker starts without the retained messages it held")]
    public static partial void RetainedSnapshotReadFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(4080, LogLevel.Information, "MQTT session {ClientId} expired; its subscriptions and queued messages were removed")]
    public static partial void SessionExpired(ILogger logger, string clientId);

    [LoggerMessage(4081, LogLevel.Warning, "MQTT session {ClientId}: removing the expired session failed")]
    public static partial void SessionExpiryFailed(ILogger logger, Exception exception, string clientId);
}

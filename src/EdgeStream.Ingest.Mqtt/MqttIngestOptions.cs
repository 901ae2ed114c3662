using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EdgeStream.Ingest.Mqtt;

/// <summary>
/// The <c>Mqtt</c> configuration section: listeners, authentication, limits, routes and upstream subscriptions.
/// Bound once at start and validated by <see cref="Hosting.MqttIngestOptionsValidator"/>; treat as immutable afterwards.
/// Every key is documented in docs/mqtt.md.
/// </summary>
internal sealed class MqttIngestOptions
{
    public const string SectionName = "Mqtt";

    /// <summary>The ingest source name of MQTT's log writer (metrics tag <c>source</c>; the DI key of its writer).</summary>
    public const string IngestSource = "mqtt";

    /// <summary>Address of the plain TCP listener. Loopback by default so a first run exposes nothing.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Plain TCP port; 0 disables the embedded broker's plain listener.</summary>
    public int Port { get; set; } = 1883;

    public MqttTlsOptions Tls { get; set; } = new();

    /// <summary>
    /// Anonymous access. <c>null</c> (default) allows it only when every enabled listener is on loopback; <c>true</c>
    /// on a non-loopback listener also needs <see cref="AllowAnonymousOnNetwork"/>.
    /// </summary>
    public bool? AllowAnonymous { get; set; }

    /// <summary>Explicit opt-in to anonymous clients on a non-loopback listener (logged as a warning at start).</summary>
    public bool AllowAnonymousOnNetwork { get; set; }

    public List<MqttUserOptions> Users { get; set; } = [];

    /// <summary>ACL for anonymous clients; <c>null</c> lets them publish and subscribe anywhere.</summary>
    public MqttAclOptions? AnonymousAcl { get; set; }

    [ValidateObjectMembers]
    public MqttLimitsOptions Limits { get; set; } = new();

    [ValidateObjectMembers]
    public MqttSessionOptions Sessions { get; set; } = new();

    /// <summary>
    /// Local subscribers receive a message only once it is durable in the log (never one a crash could take back);
    /// <c>false</c> delivers as soon as it is appended. Messages a route drops are delivered at once either way.
    /// </summary>
    public bool DeliverAfterDurable { get; set; } = true;

    /// <summary>
    /// Longest keep alive an MQTT 5 client may use (announced as Server Keep Alive in CONNACK, also to clients asking
    /// for none); <c>0</c> (default) leaves clients their own.
    /// </summary>
    public TimeSpan MaxKeepAlive { get; set; }

    /// <summary>
    /// Answer an MQTT 5 SUBSCRIBE the ACL denies with 0x87 Not authorized; <c>false</c> (default) answers 0x80
    /// Unspecified error, so a client cannot map the ACL by probing (MQTT 3.1.1 has only 0x80).
    /// </summary>
    public bool RevealSubscribeDenials { get; set; }

    /// <summary>
    /// How often the broker statistics on <c>$SYS/broker/...</c> are refreshed (Mosquitto's <c>sys_interval</c>); only
    /// changed values are published. <c>0</c> disables them.
    /// </summary>
    public TimeSpan SysInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Retained messages survive a restart: after a change they are written to <c>mqtt/retained.snapshot</c> in the
    /// data directory at most this often, and once more at a graceful stop, and loaded at start (Mosquitto's
    /// autosave). A power cut can lose up to one interval of retained changes. <c>0</c> keeps them in memory only
    /// (neither written nor loaded). See <see cref="Broker.Retained.RetainedPersistence"/>.
    /// </summary>
    public TimeSpan RetainedSnapshotInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// QoS 2 exactly once across a restart: a retransmitted QoS 2 PUBLISH (DUP) whose packet identifier is not known
    /// in memory is looked up among the records stored this long before EdgeStream started, for as long after the
    /// start; <c>0</c> turns the lookup off (such a retransmission is then stored again). See
    /// <see cref="Broker.ExactlyOnceRecovery"/>.
    /// </summary>
    public TimeSpan ExactlyOnceRecoveryWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Most records read per log partition for that lookup (the newest ones within the window).</summary>
    [Range(1, 10_000_000, ErrorMessage = "{0} must be between 1 and 10000000.")]
    public int ExactlyOnceRecoveryMaxRecords { get; set; } = 100_000;

    public List<MqttRouteOptions> Routes { get; set; } = [];

    /// <summary>Applied when no route matches: by default log topic <c>mqtt</c> keyed by client id.</summary>
    public MqttRouteOptions DefaultRoute { get; set; } = new() { Filter = "#", Topic = "mqtt", Key = "clientid" };

    [ValidateEnumeratedItems]
    public List<MqttUpstreamOptions> Upstreams { get; set; } = [];
}

/// <summary>The optional TLS listener. Disabled while <see cref="Port"/> is 0.</summary>
internal sealed class MqttTlsOptions
{
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TLS port (8883 is customary); 0 disables TLS.</summary>
    public int Port { get; set; }

    /// <summary>PEM certificate (with <see cref="KeyFile"/>) or a PFX/PKCS#12 file (with optional <see cref="Password"/>).</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM private key for a PEM <see cref="CertificateFile"/>; omit when the key is in the same file.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Password of a PFX file or an encrypted PEM key.</summary>
    public string? Password { get; set; }

    /// <summary><c>none</c>, <c>optional</c> or <c>required</c>: whether clients present a certificate.</summary>
    public string ClientCertificates { get; set; } = "none";

    /// <summary>PEM bundle of CAs that client certificates must chain to.</summary>
    public string? ClientCaFile { get; set; }
}

/// <summary>A user: a password hash from <c>edgestream mqtt hash-password</c>, and an ACL.</summary>
internal sealed class MqttUserOptions
{
    public string Username { get; set; } = "";

    /// <summary><c>pbkdf2-sha256$iterations$salt$hash</c>; <c>null</c> for a certificate-only user.</summary>
    public string? PasswordHash { get; set; }

    /// <summary>Client certificate subject CN that authenticates as this user on the TLS listener.</summary>
    public string? CertificateSubject { get; set; }

    public MqttAclOptions? Acl { get; set; }
}

/// <summary>Publish and subscribe topic patterns (<c>+</c>, <c>#</c>, <c>{username}</c>, <c>{clientid}</c>).</summary>
internal sealed class MqttAclOptions
{
    /// <summary>Topic filters the user may publish to; <c>null</c> means any.</summary>
    public List<string>? Publish { get; set; }

    /// <summary>Topic filters the user may subscribe within; <c>null</c> means any.</summary>
    public List<string>? Subscribe { get; set; }

    /// <summary>Topic filters the user may never publish to; checked before <see cref="Publish"/>.</summary>
    public List<string>? DenyPublish { get; set; }

    /// <summary>
    /// Topic filters the user may never receive: a SUBSCRIBE inside one is refused, and messages on them are withheld
    /// from wider subscriptions (<c>#</c>). Checked before <see cref="Subscribe"/>.
    /// </summary>
    public List<string>? DenySubscribe { get; set; }
}

/// <summary>Per-broker and per-client limits.</summary>
internal sealed class MqttLimitsOptions
{
    [Range(1, int.MaxValue, ErrorMessage = "{0} must be positive.")]
    public int MaxPayloadBytes { get; set; } = 256 * 1024;

    [Range(1, int.MaxValue, ErrorMessage = "{0} must be positive.")]
    public int MaxTopicLength { get; set; } = 1024;

    [Range(1, int.MaxValue, ErrorMessage = "{0} must be positive.")]
    public int MaxConnections { get; set; } = 1000;

    /// <summary>QoS 1/2 publishes of one client appended but not yet acknowledged.</summary>
    [Range(1, int.MaxValue, ErrorMessage = "{0} must be positive.")]
    public int MaxInFlightPerClient { get; set; } = 1000;

    /// <summary>
    /// Subscriptions one session may hold (plain and shared); a new one beyond it gets SUBACK 0x97 quota exceeded
    /// (MQTT 3.1.1: 0x80 failure), so a client cannot make the broker keep and match against any number of filters.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = "{0} must be positive.")]
    public int MaxSubscriptionsPerClient { get; set; } = 1000;

    /// <summary>
    /// Retained messages the broker keeps (one per topic, all clients together); a retained publish on a new topic
    /// beyond it is refused with 0x97 quota exceeded (MQTT 3.1.1: disconnect). Replacing or clearing one always works.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = "{0} must be positive.")]
    public int MaxRetainedMessages { get; set; } = 10_000;

    /// <summary>
    /// Bytes of all retained messages together (payload, topic and properties); a retained publish that would exceed it
    /// is refused likewise.
    /// </summary>
    [Range(1, long.MaxValue, ErrorMessage = "{0} must be positive.")]
    public long MaxRetainedBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Sustained publishes per second per client; 0 means unlimited.</summary>
    public double PublishRatePerSecond { get; set; }

    /// <summary>Token bucket size for <see cref="PublishRatePerSecond"/>; defaults to one second's worth.</summary>
    public int PublishBurst { get; set; }

    // Connection-level bounds, enforced before MQTTnet buffers anything (see Broker/Transport).

    /// <summary>Largest packet accepted after CONNECT, fixed header included; 0 = MaxPayloadBytes + 64 KiB for topic and properties.</summary>
    public int MaxPacketBytes { get; set; }

    /// <summary>Largest CONNECT packet.</summary>
    public int MaxConnectPacketBytes { get; set; } = 64 * 1024;

    /// <summary>A connection that has not completed TLS and CONNECT within this time is closed.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections accepted but not yet through CONNECT; more are closed at accept.</summary>
    public int MaxPendingConnections { get; set; } = 128;

    /// <summary>New connections per second per peer address (token bucket); 0 = unlimited.</summary>
    public double ConnectRatePerAddress { get; set; } = 20;

    /// <summary>Bucket size for <see cref="ConnectRatePerAddress"/>.</summary>
    public int ConnectBurstPerAddress { get; set; } = 100;

    /// <summary>Failed logins from one address before it must wait (1 s, doubling per failure up to <see cref="LoginDelayMax"/>).</summary>
    public int LoginFailuresBeforeDelay { get; set; } = 5;

    /// <summary>Longest wait imposed on an address after failed logins; also how long failures are remembered.</summary>
    public TimeSpan LoginDelayMax { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Peer addresses tracked by the connect rate and the login throttle (each); beyond it they share one entry.</summary>
    public int MaxTrackedAddresses { get; set; } = 4096;

    /// <summary>Apply the connect rate and login throttle to loopback peers too (off: local processes are not throttled).</summary>
    public bool ThrottleLoopback { get; set; }

    /// <summary>Client→server topic aliases a connection may define (announced in CONNACK); 0 refuses aliases.</summary>
    public int TopicAliasMaximum { get; set; } = 16;

    /// <summary>The packet size limit in force after CONNECT.</summary>
    internal int EffectiveMaxPacketBytes => MaxPacketBytes > 0 ? MaxPacketBytes : (int)Math.Min(int.MaxValue, MaxPayloadBytes + 65_536L);
}

/// <summary>Session lifetime and queue bounds of the embedded broker.</summary>
internal sealed class MqttSessionOptions
{
    /// <summary>How long an MQTT 3.1.1 session with clean session 0 is kept while disconnected (3.1.1 has no expiry of its own).</summary>
    public TimeSpan DefaultExpiry { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Cap on any session's expiry interval (an MQTT 5 client asking for more is told the cap in CONNACK).</summary>
    public TimeSpan MaxExpiry { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Messages queued per session for delivery (MQTTnet's MaxPendingMessagesPerClient): beyond it new messages for the
    /// session are not queued (counted as <c>queue-full</c>).
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = "{0} must be positive.")]
    public int MaxQueuedMessages { get; set; } = 1000;

    /// <summary>
    /// Messages queued for disconnected sessions, all together: beyond it, messages for a session whose client is not
    /// connected are not queued (counted as <c>queue-total-full</c>), so many offline sessions cannot fill the memory.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = "{0} must be positive.")]
    public int MaxQueuedMessagesTotal { get; set; } = 100_000;

    /// <summary>
    /// Bytes (payload, topic and properties) queued per session: beyond it new messages for the session are not queued (counted as
    /// <c>queue-bytes-full</c>). A message is always queued to an empty session, however large.
    /// </summary>
    [Range(1, long.MaxValue, ErrorMessage = "{0} must be positive.")]
    public long MaxQueuedBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>
    /// Bytes queued for all sessions together, connected or not: beyond it no session's queue grows (counted as
    /// <c>queue-total-bytes-full</c>), so queues cannot fill the memory whatever the message count limits allow.
    /// </summary>
    [Range(1, long.MaxValue, ErrorMessage = "{0} must be positive.")]
    public long MaxQueuedBytesTotal { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Sessions kept beyond their connection (MQTT 5 expiry &gt; 0, MQTT 3.1.1 clean session 0), connected or not: a
    /// CONNECT that would start one more is refused with CONNACK 0x97 quota exceeded (3.1.1: server unavailable), so
    /// clients cannot fill the memory with sessions under ever new client ids. Clients with clean sessions are bounded
    /// by <see cref="MqttLimitsOptions.MaxConnections"/> instead.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = "{0} must be positive.")]
    public int MaxSessions { get; set; } = 10_000;
}

/// <summary>One routing rule.</summary>
internal sealed class MqttRouteOptions
{
    /// <summary>MQTT topic filter with <c>+</c> and <c>#</c>.</summary>
    public string Filter { get; set; } = "";

    /// <summary>Log topic; may use <c>{n}</c> for MQTT topic level n (0-based). Required unless <see cref="Drop"/>.</summary>
    public string? Topic { get; set; }

    /// <summary><c>clientid</c>, <c>{n}</c>, <c>property:NAME</c> or <c>none</c>.</summary>
    public string Key { get; set; } = "clientid";

    /// <summary>
    /// Removed: forwarding priority is per log topic (<c>Forwarding:TopicPriorities:&lt;topic&gt;</c>), because a
    /// partition is forwarded in order and cannot let single records overtake. Bound only so that a configuration
    /// still setting it fails at start with the key, instead of being silently ignored.
    /// </summary>
    public int? Priority { get; set; }

    /// <summary>Matching messages are not stored (still delivered to local subscribers and acknowledged).</summary>
    public bool Drop { get; set; }
}

/// <summary>A subscription to an existing broker (client mode).</summary>
internal sealed class MqttUpstreamOptions
{
    public string Name { get; set; } = "";

    public string Host { get; set; } = "127.0.0.1";

    [Range(1, 65535, ErrorMessage = "{0} must be 1-65535.")]
    public int Port { get; set; } = 1883;

    /// <summary>Client id; stable so the broker keeps the persistent session between restarts.</summary>
    public string? ClientId { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary><c>5.0</c> (default) or <c>3.1.1</c>.</summary>
    public string ProtocolVersion { get; set; } = "5.0";

    /// <summary>How long the broker keeps the session (and queued QoS 1 messages) while disconnected.</summary>
    public uint SessionExpirySeconds { get; set; } = 7 * 24 * 3600;

    public List<string> Subscriptions { get; set; } = [];

    /// <summary>
    /// MQTT 5 Receive Maximum sent in CONNECT: the QoS 1/2 messages the broker may send before we acknowledge them.
    /// A message is acknowledged only once durable, so these wait in memory meanwhile; without it a broker may send
    /// 65,535. MQTT 3.1.1 has no such property (the broker's own limit applies, e.g. Mosquitto's max_inflight_messages).
    /// </summary>
    public int ReceiveMaximum { get; set; } = 1000;

    public bool UseTls { get; set; }

    /// <summary>PEM CA bundle that the broker's certificate must chain to; <c>null</c> uses the system store.</summary>
    public string? CaFile { get; set; }

    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(60);
}

using System.Globalization;
using System.Reflection;
using EdgeStream.Ingest.Mqtt.Broker.Transport;
using EdgeStream.Log;
using MQTTnet.Server;

namespace EdgeStream.Ingest.Mqtt.Broker.Sys;

/// <summary>
/// Reads the broker's statistics from the counters that already exist (client registry, sessions and retained store
/// of MQTTnet, listener traffic, subscriptions, the log's size, the sinks' lag) and renders them as
/// <c>$SYS/broker/...</c> topic/value pairs, with Mosquitto's names and formats where Mosquitto has the statistic
/// (mosquitto(8), "BROKER STATUS"). One caller at a time (the statistics loop); each call walks sessions, retained
/// messages and open connections once, so call it on an interval, not per message.
/// </summary>
internal sealed class BrokerStatistics
{
    private readonly MqttServer _server;
    private readonly ClientRegistry _clients;
    private readonly SubscriberDirectory _subscriptions;
    private readonly GuardedTcpServerAdapter _transport;
    private readonly SysSources _sources;
    private readonly TimeProvider _time;
    private readonly long _startedAt;
    private readonly Func<long> _storedBytes;

    /// <summary>
    /// The statistics of <paramref name="server"/>; <paramref name="storedBytes"/> reads the bytes held for retained
    /// messages and queued copies (<c>store/messages/bytes</c>).
    /// </summary>
    public BrokerStatistics(MqttServer server, ClientRegistry clients, SubscriberDirectory subscriptions, GuardedTcpServerAdapter transport, SysSources sources, TimeProvider time,
        Func<long> storedBytes)
    {
        _storedBytes = storedBytes;
        _server = server;
        _clients = clients;
        _subscriptions = subscriptions;
        _transport = transport;
        _sources = sources;
        _time = time;
        _startedAt = time.GetTimestamp();
    }

    /// <summary>Mosquitto's <c>$SYS/broker/version</c> format: "EdgeStream version 1.2.3".</summary>
    public static string Version { get; } = "EdgeStream version " + InformationalVersion(typeof(BrokerStatistics).Assembly);

    /// <summary>Every statistic now, topic → value. Sink lags are left out (not failed) when the source throws; see <see cref="SinkLagError"/>.</summary>
    public async Task<List<KeyValuePair<string, string>>> CollectAsync()
    {
        var values = new List<KeyValuePair<string, string>>(24);
        void Add(string name, long value) => values.Add(new(SysTopics.Broker + name, value.ToString(CultureInfo.InvariantCulture)));

        values.Add(new(SysTopics.Broker + "version", Version));
        values.Add(new(SysTopics.Broker + "uptime", ((long)_time.GetElapsedTime(_startedAt).TotalSeconds).ToString(CultureInfo.InvariantCulture) + " seconds"));

        var sessions = await _server.GetSessionsAsync().ConfigureAwait(false);
        var connected = _clients.Count;
        var total = Math.Max(sessions.Count, connected);
        long queued = 0;
        foreach (var session in sessions)
        {
            queued += session.PendingApplicationMessagesCount;
        }
        Add("clients/connected", connected);
        Add("clients/active", connected); // Mosquitto's deprecated name, still read by dashboards
        Add("clients/disconnected", total - connected);
        Add("clients/inactive", total - connected);
        Add("clients/total", total);
        Add("clients/maximum", _clients.Peak);

        var traffic = _transport.Traffic();
        Add("messages/received", traffic.PacketsReceived);
        Add("messages/sent", traffic.PacketsSent);
        Add("publish/messages/received", traffic.PublishReceived);
        Add("publish/messages/sent", traffic.PublishSent);
        Add("bytes/received", traffic.BytesReceived);
        Add("bytes/sent", traffic.BytesSent);

        var retained = (await _server.GetRetainedMessagesAsync().ConfigureAwait(false)).Count;
        Add("subscriptions/count", _subscriptions.SubscriptionCount());
        Add("retained messages/count", retained);
        Add("store/messages/count", retained + queued);
        Add("messages/stored", retained + queued); // Mosquitto's older name of store/messages/count
        Add("store/messages/bytes", _storedBytes());

        if (_sources.LogBytes is { } logBytes)
        {
            Add("edgestream/log/bytes", logBytes());
        }
        SinkLagError = null;
        if (_sources.SinkLags is { } sinks)
        {
            try
            {
                foreach (var lag in sinks.GetSinkLags())
                {
                    // Sink names are validated as log topic names; anything else would not be a safe topic level.
                    if (TopicName.IsValid(lag.Sink, out _))
                    {
                        Add($"edgestream/sinks/{lag.Sink}/lag", lag.LagRecords);
                    }
                }
            }
#pragma warning disable CA1031 // The host's source may fail in any way; the broker's own statistics still go out.
            catch (Exception e)
#pragma warning restore CA1031
            {
                SinkLagError = e;
            }
        }
        return values;
    }

    /// <summary>Why the last <see cref="CollectAsync"/> could not read the sinks' lag, or <c>null</c>.</summary>
    public Exception? SinkLagError { get; private set; }

    private static string InformationalVersion(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(informational))
        {
            return assembly.GetName().Version?.ToString() ?? "unknown";
        }
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? informational : informational[..plus];
    }
}

/// <summary>Statistics the broker does not own: the log's size and the sinks' lag (either may be absent). Immutable.</summary>
/// <param name="LogBytes">Bytes of all log topics on disk.</param>
/// <param name="SinkLags">Forwarding lag per sink, wired by the host.</param>
internal sealed record SysSources(Func<long>? LogBytes = null, ISinkLagSource? SinkLags = null);

using System.Threading.Channels;
using EdgeStream.Ingest.Mqtt.Routing;
using EdgeStream.Log;
using EdgeStream.Log.Ingest;
using MQTTnet;
using MQTTnet.Protocol;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Ingest.Mqtt.Client;

/// <summary>
/// Client mode for one upstream broker: connects with a persistent session, subscribes at QoS 1, appends each message
/// to the log, and acknowledges it only once durable, so a crash leads to redelivery, never loss. Appends run in
/// arrival order on MQTTnet's receive path; acknowledgements wait for durability on a separate ordered loop, so
/// messages stay in flight while fsyncs run, and PUBACKs keep arrival order. Reconnects with exponential backoff.
/// One instance per upstream; <see cref="RunAsync"/> is called once.
/// </summary>
internal sealed class UpstreamSubscriber
{
    private readonly MqttUpstreamOptions _options;
    private readonly IIngestWriter _log;
    private readonly MqttRouter _router;
    private readonly MqttIngestMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _clientId;
    private readonly string _endpoint;

    public UpstreamSubscriber(MqttUpstreamOptions options, IIngestWriter log, MqttRouter router, MqttIngestMetrics metrics, TimeProvider time, ILogger logger)
    {
        _options = options;
        _log = log;
        _router = router;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _clientId = UpstreamClientOptionsFactory.ClientIdOf(options);
        _endpoint = $"{options.Host}:{options.Port}";
    }

    /// <summary>Set each time a session is established (for tests and health).</summary>
    public event Action<bool>? Connected;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var delay = _options.ReconnectMinDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            Exception? failure = null;
            var wasConnected = false;
            try
            {
                wasConnected = await RunSessionAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failure = e;
            }
            if (cancellationToken.IsCancellationRequested)
            {
                return; // the session ended because the service is stopping: nothing failed, nothing to retry
            }
            if (wasConnected)
            {
                delay = _options.ReconnectMinDelay;
            }
            MqttIngestLog.UpstreamRetry(_logger, failure, _options.Name, _endpoint, delay);
            try
            {
                await Task.Delay(Jitter(delay), _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
        }
    }

    private static TimeSpan Jitter(TimeSpan delay) => delay * (0.8 + Random.Shared.NextDouble() * 0.4);

    /// <summary>One connection's life: returns when it drops (true if it had connected), throws if connecting failed.</summary>
    private async Task<bool> RunSessionAsync(CancellationToken cancellationToken)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        using var sessionEnd = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var acks = Channel.CreateUnbounded<PendingUpstreamAck>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        client.DisconnectedAsync += _ =>
        {
            sessionEnd.Cancel();
            return Task.CompletedTask;
        };
        client.ApplicationMessageReceivedAsync += e => OnMessageAsync(e, acks.Writer, sessionEnd);

        var connected = await client.ConnectAsync(UpstreamClientOptionsFactory.Create(_options), cancellationToken);
        if (connected.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"upstream refused the connection: {connected.ResultCode} {connected.ReasonString}");
        }
        MqttIngestLog.UpstreamConnected(_logger, _options.Name, _endpoint, connected.IsSessionPresent);

        var ackLoop = AcknowledgeInOrderAsync(acks.Reader, sessionEnd);
        try
        {
            var subscribe = new MqttClientSubscribeOptionsBuilder();
            foreach (var filter in _options.Subscriptions)
            {
                subscribe.WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce);
            }
            var result = await client.SubscribeAsync(subscribe.Build(), cancellationToken);
            foreach (var item in result.Items)
            {
                if (item.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2)
                {
                    MqttIngestLog.UpstreamSubscribeRefused(_logger, _options.Name, item.TopicFilter.Topic, item.ResultCode.ToString());
                }
            }
            Connected?.Invoke(connected.IsSessionPresent);
            await Task.Delay(Timeout.Infinite, sessionEnd.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            acks.Writer.TryComplete();
            await sessionEnd.CancelAsync();
            await ackLoop;
            if (client.IsConnected)
            {
                await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
            }
        }
        return true;
    }

    private async Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e, ChannelWriter<PendingUpstreamAck> acks, CancellationTokenSource sessionEnd)
    {
        // Never let MQTTnet acknowledge on its own: the acknowledgement is our promise that the message is on disk.
        e.AutoAcknowledge = false;
        var message = e.ApplicationMessage;
        var receivedAt = _time.GetTimestamp();
        _metrics.Received("upstream");
        var decision = _router.Route(message.Topic, _clientId, message.UserProperties);
        if (decision.Outcome == RouteOutcome.InvalidTopic)
        {
            NotStored(message.Topic, "log topic invalid", null, sessionEnd);
            return;
        }
        PendingUpstreamAck pending;
        if (decision.Outcome == RouteOutcome.Drop)
        {
            pending = new PendingUpstreamAck(e, null, 0, 0, receivedAt);
        }
        else
        {
            try
            {
                var record = MqttRecordFactory.Create(message, _clientId, decision, _time.GetUtcNow(), _options.Name);
                var appended = await _log.AppendAsync(decision.LogTopic!, record, sessionEnd.Token);
                pending = new PendingUpstreamAck(e, decision.LogTopic, appended.Partition, appended.LastOffset, receivedAt);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                NotStored(message.Topic, ex is LogFullException ? "log full" : "append failed", ex, sessionEnd);
                return;
            }
        }
        if (message.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce)
        {
            return; // QoS 0 carries no acknowledgement.
        }
        acks.TryWrite(pending);
    }

    /// <summary>
    /// A message we could not store must not be acknowledged, and later ones must not be acknowledged past it (the
    /// broker expects PUBACKs in order): end the session so the broker redelivers from it after the backoff.
    /// </summary>
    private void NotStored(string topic, string reason, Exception? e, CancellationTokenSource sessionEnd)
    {
        _metrics.Rejected("upstream-" + reason.Replace(' ', '-'));
        MqttIngestLog.UpstreamNotStored(_logger, e, _options.Name, topic, reason);
        sessionEnd.Cancel();
    }

    private async Task AcknowledgeInOrderAsync(ChannelReader<PendingUpstreamAck> reader, CancellationTokenSource sessionEnd)
    {
        try
        {
            await foreach (var pending in reader.ReadAllAsync(sessionEnd.Token))
            {
                if (pending.Topic is not null)
                {
                    await _log.WaitForDurableAsync(pending.Topic, pending.Partition, pending.Offset, sessionEnd.Token);
                }
                await pending.Args.AcknowledgeAsync(sessionEnd.Token);
                _metrics.Acked("upstream", _time.GetElapsedTime(pending.ReceivedAt));
            }
        }
        catch (OperationCanceledException)
        {
            // The session ended; unacknowledged messages are redelivered by the broker.
        }
        catch (Exception e)
        {
            MqttIngestLog.UpstreamNotStored(_logger, e, _options.Name, "", "durability wait or acknowledgement failed");
            await sessionEnd.CancelAsync();
        }
    }

    private readonly record struct PendingUpstreamAck(MqttApplicationMessageReceivedEventArgs Args, string? Topic, int Partition, long Offset, long ReceivedAt);
}

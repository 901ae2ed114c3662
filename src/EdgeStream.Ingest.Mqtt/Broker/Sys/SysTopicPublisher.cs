using System.Collections.Concurrent;
using System.Diagnostics;
using EdgeStream.Ingest.Mqtt.Broker.Transport;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeStream.Ingest.Mqtt.Broker.Sys;

/// <summary>
/// Publishes <see cref="BrokerStatistics"/> on <c>$SYS/broker/...</c> every <c>Mqtt:SysInterval</c> (at start, then
/// on each tick), like Mosquitto's <c>sys_interval</c>: retained, QoS 0, only values that changed since the last
/// publish. The messages are injected into MQTTnet and reach subscribers through the same enqueue checks as any
/// message (so an ACL deny on <c>$SYS/#</c> withholds them), but they are device data of nobody: the publish
/// interception recognises them with <see cref="IsOwn"/> and they are never appended to the log. They are not queued
/// for disconnected sessions either (a resumed session reads the current values by subscribing again), so statistics
/// never crowd out device messages in the offline queues. MQTTnet reads the retained messages for a SUBSCRIBE before it
/// adds the subscription, so a value published in between reaches that subscriber neither way, and published only when
/// changed it would not come again: the next round sends such a subscriber, and only it, the current value of every
/// topic its filter matches whose last publish overlapped that gap. A failing round is logged (event 4050, once per run
/// of failures) and the next tick tries again; the loop ends only with <see cref="StopAsync"/>. Start once; thread-safe.
/// </summary>
internal sealed class SysTopicPublisher : IAsyncDisposable
{
    /// <summary>The sender client id of the statistics (not a client: client ids are chosen by clients, but no client may publish to $SYS).</summary>
    public const string SenderId = SysTopics.Root;

    private readonly MqttServer _server;
    private readonly BrokerStatistics _statistics;
    private readonly ClientRegistry _clients;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    // Identifies our injected messages in the publish interception (MQTTnet hands these items through as SessionItems).
    private readonly ConcurrentDictionary<object, object> _sessionItems = new();
    private readonly Dictionary<string, string> _published = new(StringComparer.Ordinal); // only the loop touches it
    // Per topic, when its last publish started and finished (Stopwatch timestamps; finished is long.MaxValue meanwhile).
    private readonly ConcurrentDictionary<string, (long Started, long Finished)> _publishedAt = new(StringComparer.Ordinal);
    // Bounded: past the bound (a client flooding $SYS subscriptions while a round publishes) the next round re-sends
    // every value to every subscriber instead, which loses nothing.
    private const int MaxPendingCatchUps = 1024;
    private readonly ConcurrentQueue<CatchUp> _catchUps = new();
    private int _pendingCatchUps;
    private int _resendAll;
    // A catch-up message is enqueued for its one receiver only (reference identity: MQTTnet hands the same instance on).
    private readonly ConcurrentDictionary<MqttApplicationMessage, string> _catchUpReceivers = new(ReferenceEqualityComparer.Instance);
    private CancellationTokenSource? _stop;
    private Task _loop = Task.CompletedTask;
    private bool _failing;
    private bool _sinkLagFailing;

    public SysTopicPublisher(MqttServer server, BrokerStatistics statistics, ClientRegistry clients, TimeSpan interval, TimeProvider time, ILogger logger)
    {
        _server = server;
        _statistics = statistics;
        _clients = clients;
        _interval = interval;
        _time = time;
        _logger = logger;
        server.InterceptingClientEnqueueAsync += EnqueueAsync;
        server.ClientSubscribedTopicAsync += SubscribedAsync;
    }

    /// <summary>Whether a publish being intercepted is one of the statistics (to be delivered, never stored).</summary>
    public bool IsOwn(InterceptingPublishEventArgs args) => ReferenceEquals(args.SessionItems, _sessionItems);

    /// <summary>Starts the loop (after the server has started).</summary>
    public void Start()
    {
        if (_stop is not null)
        {
            throw new InvalidOperationException("already started");
        }
        _stop = new CancellationTokenSource();
        _loop = RunAsync(_stop.Token);
    }

    /// <summary>Ends the loop and waits for it (before the server stops).</summary>
    public async Task StopAsync()
    {
        if (_stop is null)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        _stop = null;
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task RunAsync(CancellationToken stop)
    {
        await Task.Yield(); // the caller (broker start) does not run the first round
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            do
            {
                await PublishRoundAsync(stop).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (Exception e) when (stop.IsCancellationRequested && e is not OutOfMemoryException)
        {
            // Stopping: a round cut short (cancelled, or the server already stopping) is of no interest.
        }
    }

    /// <summary>One round: collect, publish what changed. Contained: a failure is logged and the next round retries.</summary>
    internal async Task PublishRoundAsync(CancellationToken stop)
    {
        try
        {
            await CatchUpAsync(stop).ConfigureAwait(false);
            foreach (var (topic, value) in await _statistics.CollectAsync().ConfigureAwait(false))
            {
                if (_published.TryGetValue(topic, out var last) && string.Equals(last, value, StringComparison.Ordinal))
                {
                    continue;
                }
                var started = Stopwatch.GetTimestamp();
                _publishedAt[topic] = (started, long.MaxValue);
                await InjectAsync(topic, value, retain: true, stop).ConfigureAwait(false);
                _published[topic] = value;
                _publishedAt[topic] = (started, Stopwatch.GetTimestamp());
            }
            _failing = false;
        }
        catch (Exception e) when (!stop.IsCancellationRequested && e is not OutOfMemoryException)
        {
            if (!_failing)
            {
                MqttIngestLog.SysPublishFailed(_logger, e);
            }
            _failing = true;
        }
        if (_statistics.SinkLagError is { } lagError)
        {
            if (!_sinkLagFailing)
            {
                MqttIngestLog.SysPublishFailed(_logger, lagError);
            }
            _sinkLagFailing = true;
        }
        else
        {
            _sinkLagFailing = false;
        }
    }

    private async Task InjectAsync(string topic, string value, bool retain, CancellationToken stop, string? onlyTo = null)
    {
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(value)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtMostOnce).WithRetainFlag(retain).Build();
        if (onlyTo is not null)
        {
            _catchUpReceivers[message] = onlyTo;
        }
        try
        {
            await _server.InjectApplicationMessage(new InjectedMqttApplicationMessage(message) { SenderClientId = SenderId, CustomSessionItems = _sessionItems }, stop)
                .ConfigureAwait(false);
        }
        finally
        {
            _catchUpReceivers.TryRemove(message, out _);
        }
    }

    /// <summary>Sends each subscriber that may have missed a value in its subscription's gap the current one.</summary>
    private async Task CatchUpAsync(CancellationToken stop)
    {
        if (Interlocked.Exchange(ref _resendAll, 0) != 0)
        {
            _published.Clear();
        }
        while (_catchUps.TryDequeue(out var catchUp))
        {
            Interlocked.Decrement(ref _pendingCatchUps);
            foreach (var topic in MissedTopics(catchUp))
            {
                if (_published.TryGetValue(topic, out var value))
                {
                    await InjectAsync(topic, value, retain: false, stop, onlyTo: catchUp.ClientId).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>The topics <paramref name="catchUp"/>'s filter matches whose last publish overlapped its subscription's gap.</summary>
    private IEnumerable<string> MissedTopics(CatchUp catchUp)
        => _publishedAt.Where(p => p.Value.Finished > catchUp.ReceivedAt && p.Value.Started < catchUp.SubscribedAt
            && MqttTopicFilterComparer.Compare(p.Key, catchUp.Filter) == MqttTopicFilterCompareResult.IsMatch).Select(p => p.Key);

    // Raised once MQTTnet has added the subscription: whatever is published from now on reaches the subscriber.
    private Task SubscribedAsync(ClientSubscribedTopicEventArgs args)
    {
        if (SysTopics.IsSys(args.TopicFilter.Topic))
        {
            // No connection (a subscription made through the server's API): every value published so far may be missing.
            var receivedAt = BrokerConnection.Current?.SubscribeReceivedAt ?? 0;
            var catchUp = new CatchUp(args.ClientId, args.TopicFilter.Topic, receivedAt, Stopwatch.GetTimestamp());
            // Nearly always no round was publishing a matching topic meanwhile, and nothing is queued.
            if (!MissedTopics(catchUp).Any())
            {
                return Task.CompletedTask;
            }
            if (Interlocked.Increment(ref _pendingCatchUps) > MaxPendingCatchUps)
            {
                Interlocked.Decrement(ref _pendingCatchUps);
                Volatile.Write(ref _resendAll, 1);
                return Task.CompletedTask;
            }
            _catchUps.Enqueue(catchUp);
        }
        return Task.CompletedTask;
    }

    // Runs for every message enqueued to every subscriber: device messages leave at the first check.
    private Task EnqueueAsync(InterceptingClientApplicationMessageEnqueueEventArgs args)
    {
        if (!SysTopics.IsSys(args.ApplicationMessage.Topic))
        {
            return Task.CompletedTask;
        }
        if (_catchUpReceivers.TryGetValue(args.ApplicationMessage, out var receiver) && !string.Equals(receiver, args.ReceiverClientId, StringComparison.Ordinal))
        {
            args.AcceptEnqueue = false;
            return Task.CompletedTask;
        }
        if (args.AcceptEnqueue && _clients.Get(args.ReceiverClientId) is null)
        {
            args.AcceptEnqueue = false;
        }
        return Task.CompletedTask;
    }

    private sealed record CatchUp(string ClientId, string Filter, long ReceivedAt, long SubscribedAt);
}

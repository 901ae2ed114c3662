using EdgeStream.Log;
using Microsoft.Extensions.Logging;
using Polly;

namespace EdgeStream.Forwarding;

/// <summary>
/// Everything one sink's loops share (the sink client, its resilience pipeline, bandwidth gate, pause gate and
/// health), plus the discovery loop that starts a <see cref="PartitionForwarder"/> for every matching partition,
/// including topics and partitions created later. Thread-safe for status reads, pause and resume.
/// </summary>
internal sealed class SinkRunner : IAsyncDisposable
{
    private readonly ForwardingOptions _forwarding;
    private readonly StartPosition _start;
    private readonly object _lock = new();
    private readonly Dictionary<(string Topic, int Partition), (PartitionForwarder Forwarder, Task Task)> _loops = [];

    public SinkRunner(LogStore log, ForwardingOptions forwarding, SinkOptions options, ISinkFactory factory, ILoggerFactory loggerFactory, TimeProvider time, ForwardingMetrics metrics)
    {
        _forwarding = forwarding;
        Log = log;
        Options = options;
        Time = time;
        Metrics = metrics;
        Logger = loggerFactory.CreateLogger("EdgeStream.Forwarding.Sink." + options.Name);
        Health = new SinkHealth(time) { Paused = options.Paused };
        Pause = new PauseGate(options.Paused);
        Bandwidth = options.BandwidthBytesPerSecond is { } bps ? PriorityBandwidthGate.PerSecond(bps) : PriorityBandwidthGate.Unlimited();
        Pipeline = SinkResilience.Build(options.Name, options.Retry, Health, Logger, time);
        StartPosition.TryParse(options.Start, out _start);
        var context = new SinkContext(forwarding.NodeId, options, loggerFactory, time);
        try
        {
            Sink = factory.Create(context);
        }
        catch (Exception e)
        {
            // A sink is one part of the box: one that cannot be built yet must not keep ingest and the others down.
            ForwardingLog.SinkNotCreated(Logger, Name, e);
            Health.OnFailure(DeferredSink.Rejected(e));
            Sink = new DeferredSink(factory, context);
        }
        Health.Connectivity = Sink as ISinkConnectivity;
    }

    public string Name => Options.Name;

    public string NodeId => _forwarding.NodeId;

    public LogStore Log { get; }

    public SinkOptions Options { get; }

    public TimeProvider Time { get; }

    public ForwardingMetrics Metrics { get; }

    public ILogger Logger { get; }

    public SinkHealth Health { get; }

    public PauseGate Pause { get; }

    public PriorityBandwidthGate Bandwidth { get; }

    public ResiliencePipeline Pipeline { get; }

    public ISink Sink { get; }

    /// <summary>Least time between two cursor commits of one partition.</summary>
    public TimeSpan CommitInterval => _forwarding.CursorCommitInterval;

    /// <summary>Shared by every loop of the engine; see <see cref="CursorCommitter"/>.</summary>

    /// <summary>
    /// Discovers partitions until cancelled. A loop that fails is faulted and retried on its own (see
    /// <see cref="RunLoopAsync"/>); this throws only when a loop failed because the log as a whole is closed or failed
    /// (<see cref="LogStore.IsOpen"/> false), which no retry can fix.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var initial = true;
        // Loops get their own token so that a failure of the whole log stops their siblings too, not only shutdown.
        using var loops = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            while (true)
            {
                ThrowIfAnyLoopFailed();
                StartNewLoops(initial, loops.Token);
                initial = false;
                await Task.Delay(_forwarding.TopicDiscoveryInterval, Time, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await loops.CancelAsync().ConfigureAwait(false);
            Task[] tasks;
            lock (_lock)
            {
                tasks = _loops.Values.Select(l => l.Task).ToArray();
            }
            // Loops share the cancelled token; wait for all of them so no send outlives the sink client.
            await Task.WhenAll(tasks.Select(t => t.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default))).ConfigureAwait(false);
        }
    }

    private void ThrowIfAnyLoopFailed()
    {
        lock (_lock)
        {
            foreach (var (key, loop) in _loops)
            {
                if (loop.Task.IsFaulted)
                {
                    throw new InvalidOperationException($"Forwarding loop {Name} {key.Topic}/{key.Partition} failed.", loop.Task.Exception!.GetBaseException());
                }
            }
        }
    }

    private void StartNewLoops(bool initial, CancellationToken cancellationToken)
    {
        foreach (var topic in Log.GetTopics())
        {
            if (!Matches(topic.Name))
            {
                continue;
            }
            var priority = _forwarding.TopicPriorities.TryGetValue(topic.Name, out var p) ? p : 0;
            foreach (var partition in topic.Partitions)
            {
                lock (_lock)
                {
                    if (_loops.ContainsKey((topic.Name, partition.Partition)))
                    {
                        continue;
                    }
                    // Partitions that appear after start hold only new data, so they start at their beginning.
                    var start = initial ? _start : new StartPosition(StartKind.Earliest, default);
                    var forwarder = new PartitionForwarder(this, topic.Name, partition.Partition, priority, start);
                    _loops[(topic.Name, partition.Partition)] = (forwarder, RunLoopAsync(forwarder, cancellationToken));
                }
            }
        }
    }

    private async Task RunLoopAsync(PartitionForwarder forwarder, CancellationToken cancellationToken)
    {
        // Run off the discovery thread so a loop's synchronous start never delays discovery.
        await Task.Yield();
        while (true)
        {
            try
            {
                await forwarder.RunAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Shutdown: whatever was in flight is resent after restart from the committed cursor.
                return;
            }
            catch (Exception e) when (Log.IsOpen)
            {
                // Contained: corrupt data, an unwritable dead-letter topic or a sink bug faults this loop only. It
                // restarts from its committed cursor after a capped backoff; other loops and the host carry on.
                var first = forwarder.Fault.Set(e, Time.GetUtcNow());
                var delay = forwarder.Fault.NextDelay(Options.Retry.InitialDelay, Options.Retry.MaxDelay);
                Metrics.LoopFaulted(Name, forwarder.Topic, forwarder.Partition);
                if (first)
                {
                    ForwardingLog.LoopFaulted(Logger, Name, forwarder.Topic, forwarder.Partition, forwarder.Fault.Count, delay, e);
                }
                else
                {
                    ForwardingLog.LoopFaultedAgain(Logger, Name, forwarder.Topic, forwarder.Partition, delay, e);
                }
                try
                {
                    await Task.Delay(delay, Time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
            }
            catch (Exception e)
            {
                // The log itself is closed or failed as a whole: no loop can make progress, so the host must stop.
                ForwardingLog.LoopFailed(Logger, Name, forwarder.Topic, forwarder.Partition, e);
                throw;
            }
        }
    }

    /// <summary>Empty topic list: every topic except dead-letter ones; otherwise exact names or <c>prefix*</c>.</summary>
    internal bool Matches(string topic)
    {
        if (Options.Topics.Count == 0)
        {
            return !topic.EndsWith(".dlq", StringComparison.Ordinal);
        }
        foreach (var t in Options.Topics)
        {
            if (t.EndsWith('*') ? topic.StartsWith(t[..^1], StringComparison.Ordinal) : string.Equals(t, topic, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    public void SetPaused(bool paused)
    {
        Health.Paused = paused;
        if (paused)
        {
            Pause.Pause();
        }
        else
        {
            Pause.Resume();
        }
    }

    public SinkStatus GetStatus()
    {
        List<PartitionForwarder> forwarders;
        lock (_lock)
        {
            forwarders = _loops.Values.Select(l => l.Forwarder).Where(f => f.Committed >= 0 || f.Fault.Reason is not null).ToList();
        }
        // One topic snapshot per topic, not per partition: a snapshot is not free and status is polled.
        var topics = new Dictionary<string, TopicInfo?>(StringComparer.Ordinal);
        var partitions = forwarders
            .Select(f =>
            {
                if (!topics.TryGetValue(f.Topic, out var info))
                {
                    topics[f.Topic] = info = Log.GetTopic(f.Topic);
                }
                var end = info?.Partitions.FirstOrDefault(p => p.Partition == f.Partition)?.DurableOffset ?? 0;
                var (fault, since, faults) = f.Fault.Snapshot();
                return new PartitionStatus(f.Topic, f.Partition, Math.Max(0, f.Committed), Math.Max(0, f.Acknowledged), end, fault, since, faults);
            })
            .OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition)
            .ToList();
        return new SinkStatus(Name, Options.Type, Health.State, Health.LastError, Health.LastErrorAt, Health.LastSuccessAt, Health.SentRecords, Health.SentBytes, partitions);
    }

    public async ValueTask DisposeAsync()
    {
        Bandwidth.Dispose();
        await Sink.DisposeAsync().ConfigureAwait(false);
    }
}

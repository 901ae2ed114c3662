using System.Diagnostics.Metrics;
using EdgeStream.Log;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeStream.Forwarding;

/// <summary>
/// The store-and-forward engine: for every configured sink, one loop per (topic, partition) that forwards from the
/// sink's durable cursor (cursor name = sink name) and commits only what upstream acknowledged. Construct, then
/// <see cref="RunAsync"/> once; <see cref="Pause"/>, <see cref="Resume"/> and <see cref="GetStatus"/> are thread-safe
/// and may be called at any time.
/// </summary>
public sealed class ForwardingEngine : IAsyncDisposable
{
    private readonly ForwardingOptions _options;
    private readonly IReadOnlyList<SinkRunner> _runners;
    private readonly ForwardingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly LogStore _log;
    private int _started;

    /// <summary>
    /// Validates <paramref name="options"/> and creates the sink clients (they connect on first send). A client that
    /// cannot be created does not throw: that sink shows as <see cref="SinkState.Rejected"/> and is created at each retry.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid; the message names the bad key.</exception>
    public ForwardingEngine(LogStore log, ForwardingOptions options, IEnumerable<ISinkFactory> factories, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(options);
        var factoryList = factories.ToList();
        ForwardingOptionsValidator.Check(options, factoryList);
        loggerFactory ??= NullLoggerFactory.Instance;
        var time = timeProvider ?? TimeProvider.System;
        _log = log;
        _options = options;
        _logger = loggerFactory.CreateLogger("EdgeStream.Forwarding");
        _metrics = new ForwardingMetrics(meterFactory, Observe, time);
        var byType = factoryList.ToDictionary(f => f.Type, StringComparer.OrdinalIgnoreCase);
        _runners = options.Sinks.Select(s => new SinkRunner(log, options, s, byType[s.Type], loggerFactory, time, _metrics)).ToList();
        // A configured sink's cursor must hold back retention however long its upstream stays away.
        log.MarkCursorsInUse(options.Sinks.Select(s => s.Name));
    }

    /// <summary>
    /// Forwards until <paramref name="cancellationToken"/> is cancelled (then returns normally). Upstream errors are
    /// retried for ever; any other failure of one loop (corrupt data, an unwritable dead-letter topic, a sink bug)
    /// faults that loop only, which retries with capped backoff and shows in <see cref="GetStatus"/>. Throws only when
    /// the log as a whole is closed or failed (<see cref="LogStore.IsOpen"/>); the other sinks are stopped first.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("RunAsync may be called once per engine.");
        }
        ForwardingLog.Started(_logger, _runners.Count, _options.NodeId);
        using var all = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = _runners.Select(r => r.RunAsync(all.Token)).ToList();
        try
        {
            var pending = tasks.ToList();
            while (pending.Count > 0)
            {
                var done = await Task.WhenAny(pending).ConfigureAwait(false);
                pending.Remove(done);
                if (done.IsFaulted)
                {
                    await done.ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Normal shutdown.
        }
        finally
        {
            await all.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(tasks.Select(t => t.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default))).ConfigureAwait(false);
            ForwardingLog.Stopped(_logger);
        }
    }

    /// <summary>Pauses a sink: its loops finish the batch in flight and then wait.</summary>
    /// <exception cref="ArgumentException">No sink has that name.</exception>
    public void Pause(string sink)
    {
        Find(sink).SetPaused(true);
        ForwardingLog.PauseChanged(_logger, sink, "paused");
    }

    /// <summary>Resumes a paused sink.</summary>
    /// <exception cref="ArgumentException">No sink has that name.</exception>
    public void Resume(string sink)
    {
        Find(sink).SetPaused(false);
        ForwardingLog.PauseChanged(_logger, sink, "resumed");
    }

    /// <summary>A snapshot of every sink's state, last error, counters and per-partition lag.</summary>
    public ForwardingStatus GetStatus() => new(_runners.Select(r => r.GetStatus()).ToList());

    private SinkRunner Find(string sink)
        => _runners.FirstOrDefault(r => string.Equals(r.Name, sink, StringComparison.Ordinal))
           ?? throw new ArgumentException($"No sink is named '{sink}'.", nameof(sink));

    private Observation Observe() => new(GetStatus(), _log);

    /// <summary>Disposes the sink clients and the meter. Call after <see cref="RunAsync"/> has returned.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var r in _runners)
        {
            await r.DisposeAsync().ConfigureAwait(false);
        }
        _metrics.Dispose();
    }

    /// <summary>What the metrics callbacks read.</summary>
    internal sealed record Observation(ForwardingStatus Status, LogStore Log)
    {
        public double AverageRecordBytes(string topic, int partition)
        {
            var p = Log.GetTopic(topic)?.Partitions.FirstOrDefault(x => x.Partition == partition);
            return p is null || p.NextOffset <= p.StartOffset ? 0 : (double)p.SizeBytes / (p.NextOffset - p.StartOffset);
        }
    }
}

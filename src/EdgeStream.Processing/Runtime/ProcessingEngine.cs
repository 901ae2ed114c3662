using EdgeStream.Log;
using EdgeStream.Log.Storage;
using EdgeStream.Processing.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Processing.Runtime;

/// <summary>
/// Every enabled rule's <see cref="RuleRunner"/>, run side by side for the host's lifetime, and their status. A rule's
/// failure stays in its runner; <see cref="RunAsync"/> fails only when the log as a whole failed. Thread-safe for
/// status reads.
/// </summary>
internal sealed class ProcessingEngine
{
    private readonly LogStore _log;
    private readonly ILogger _logger;
    private readonly RuntimeSettings _settings;

    public ProcessingEngine(LogStore log, IReadOnlyList<RuleDefinition> rules, RuntimeSettings settings, ILoggerFactory loggerFactory, TimeProvider time, ProcessingMetrics? metrics, ILogStorage? storage = null)
    {
        _log = log;
        _settings = settings;
        _logger = loggerFactory.CreateLogger("EdgeStream.Processing");
        Runners = [.. rules.Select(r => new RuleRunner(r, log, storage ?? FileLogStorage.Instance, settings,
            time, loggerFactory.CreateLogger("EdgeStream.Processing.Rule." + r.Id), metrics))];
        metrics?.Observe(() => Runners);
    }

    public IReadOnlyList<RuleRunner> Runners { get; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Runners.Count == 0)
        {
            return;
        }
        _log.MarkCursorsInUse(Runners.Select(r => "rule." + r.Id));
        ProcessingLog.Started(_logger, Runners.Count, _settings.StateDirectory);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = Runners.Select(r => Task.Run(() => RunOneAsync(r, stop), CancellationToken.None)).ToArray();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        finally
        {
            ProcessingLog.Stopped(_logger);
        }
    }

    private async Task RunOneAsync(RuleRunner runner, CancellationTokenSource stop)
    {
        try
        {
            await runner.RunAsync(stop.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The log itself is gone: no rule can make progress; stop the siblings and the stage.
            ProcessingLog.RuleFailed(_logger, runner.Id, e);
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>One entry per rule: state, fault, positions, lag and the evaluator's counters and state size.</summary>
    public IReadOnlyList<RuleStatus> GetStatus()
        => [.. Runners.Select(r =>
        {
            var p = r.Progress;
            var (reason, since, faults) = r.Fault.Snapshot();
            var s = p.Stats;
            return new RuleStatus(r.Id, p.State, reason, since, faults, p.Lag,
                [.. p.Inputs.Select(i => new RuleInputStatus(i.Topic, i.Partition, i.NextOffset))],
                s?.RecordsIn ?? 0, s?.RecordsOut ?? 0, p.Appended, p.Suppressed, s?.Skipped ?? 0, s?.Late ?? 0, s?.Clamped ?? 0,
                s?.Keys ?? 0, s?.OpenWindows ?? 0, s?.StateBytes ?? 0, p.LastSnapshotAt, s?.EvictedKeys ?? 0, s?.EvictedWindows ?? 0);
        })];
}

/// <summary>One rule's status (the <c>rules</c> section of <c>/api/status</c>). Immutable.</summary>
/// <param name="Id">Rule id.</param>
/// <param name="State">Starting, recovering, running or faulted.</param>
/// <param name="Fault">Why the rule is faulted, or <c>null</c>.</param>
/// <param name="FaultedAt">Since when, or <c>null</c>.</param>
/// <param name="Faults">Faults since start.</param>
/// <param name="LagRecords">Durable input records not consumed yet.</param>
/// <param name="Inputs">Next offset per input partition.</param>
/// <param name="RecordsIn">Input records consumed (the evaluator's total, continued across snapshots).</param>
/// <param name="RecordsOut">Outputs produced (the evaluator's total).</param>
/// <param name="Appended">Outputs appended to the log since start.</param>
/// <param name="Suppressed">Outputs not appended again after a restart since start (already written).</param>
/// <param name="Skipped">Records skipped (not JSON, missing field).</param>
/// <param name="Late">Late records.</param>
/// <param name="Clamped">Records clamped for future skew.</param>
/// <param name="Keys">Keys with state.</param>
/// <param name="OpenWindows">Open windows.</param>
/// <param name="StateBytes">Estimated state size.</param>
/// <param name="LastSnapshotAt">When the last snapshot was written by this process, or <c>null</c>.</param>
/// <param name="EvictedKeys">Keys evicted at the MaxKeys bound since the rule's evaluator started.</param>
/// <param name="EvictedWindows">Windows closed early or dropped at the MaxOpenWindows bound since then.</param>
public sealed record RuleStatus(
    string Id, RuleState State, string? Fault, DateTimeOffset? FaultedAt, long Faults, long LagRecords,
    IReadOnlyList<RuleInputStatus> Inputs, long RecordsIn, long RecordsOut, long Appended, long Suppressed, long Skipped,
    long Late, long Clamped, int Keys, int OpenWindows, long StateBytes, DateTimeOffset? LastSnapshotAt, long EvictedKeys = 0, long EvictedWindows = 0);

/// <summary>A rule's position in one input partition. Immutable.</summary>
/// <param name="Topic">Input topic.</param>
/// <param name="Partition">Partition.</param>
/// <param name="NextOffset">Next offset the rule reads.</param>
public sealed record RuleInputStatus(string Topic, int Partition, long NextOffset);

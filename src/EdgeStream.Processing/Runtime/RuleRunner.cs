using EdgeStream.Faults;
using EdgeStream.Log;
using EdgeStream.Processing.Hosting;
using EdgeStream.Log.Storage;
using EdgeStream.Processing.Engine;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Processing.Runtime;

/// <summary>
/// Runs one rule against the log for as long as it is asked to: recovers it exactly (see <see cref="RuleSession"/>),
/// then reads its inputs, feeds the evaluator and appends its outputs, for ever. A failure of the rule (an evaluator
/// bug, a damaged input, an output topic that cannot be written) is contained here: the rule is marked faulted, logged
/// once per state change, and restarted after a capped exponential backoff from its last snapshot; other rules and
/// the host carry on. Only a failure of the whole log (<see cref="LogStore.IsOpen"/> false) ends <see cref="RunAsync"/>
/// with an exception. Status reads are thread-safe; <see cref="RunAsync"/> runs once.
/// </summary>
internal sealed class RuleRunner(RuleDefinition rule, LogStore log, ILogStorage storage, RuntimeSettings settings, TimeProvider time, ILogger logger, ProcessingMetrics? counters = null)
{
    private RuleProgress _progress = RuleProgress.Empty;

    public string Id => rule.Id;

    public RuleDefinition Definition => rule;

    public LoopFault Fault { get; } = new();

    /// <summary>The last published progress (positions, lag, evaluator stats, state).</summary>
    public RuleProgress Progress => Volatile.Read(ref _progress);

    internal void Publish(RuleProgress progress) => Volatile.Write(ref _progress, progress);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var session = new RuleSession(this, rule, log, storage, settings, time, logger, counters);
                await session.RunAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (log.IsOpen)
            {
                var first = Fault.Set(e, time.GetUtcNow());
                var delay = Fault.NextDelay(settings.RestartDelay, settings.MaxRestartDelay);
                counters?.Faulted(rule.Id);
                Publish(Progress with { State = RuleState.Faulted });
                if (first)
                {
                    ProcessingLog.RuleFaulted(logger, rule.Id, Fault.Count, delay, e);
                }
                else
                {
                    ProcessingLog.RuleFaultedAgain(logger, rule.Id, delay, e);
                }
                try
                {
                    await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Called by the session once it made progress after a fault.</summary>
    internal void Recovered()
    {
        if (Fault.Clear())
        {
            ProcessingLog.RuleRecovered(logger, rule.Id);
        }
    }
}

/// <summary>Where a rule is in its life.</summary>
public enum RuleState
{
    /// <summary>Not started yet.</summary>
    Starting,

    /// <summary>Loading its snapshot, collecting already-written output ids and replaying its input.</summary>
    Recovering,

    /// <summary>Processing live input.</summary>
    Running,

    /// <summary>Failed; restarting from its last snapshot after a backoff.</summary>
    Faulted,
}

/// <summary>A rule's published progress. Immutable.</summary>
internal sealed record RuleProgress(RuleState State, IReadOnlyList<InputPosition> Inputs, long Lag, RuleStats? Stats, long Suppressed, long Appended, DateTimeOffset? LastSnapshotAt)
{
    public static RuleProgress Empty { get; } = new(RuleState.Starting, [], 0, null, 0, 0, null);
}

using EdgeStream.Processing.Engine;

namespace EdgeStream.Processing.Runtime;

/// <summary>
/// What a rule needs to resume exactly: the evaluator's state after consuming everything below
/// <see cref="Inputs"/>, where the scan for already-written output ids begins (<see cref="Outputs"/>), the outputs
/// decided but not yet known durable (<see cref="Outbox"/>: an idle close's results), and the rule's processing clock.
/// Immutable once built.
/// </summary>
internal sealed record RuleSnapshot(
    long Sequence,
    string RuleId,
    TimeSpan ProcessingTime,
    IReadOnlyList<InputPosition> Inputs,
    IReadOnlyList<OutputMark> Outputs,
    IReadOnlyList<RuleOutput> Outbox,
    byte[] EvaluatorState);

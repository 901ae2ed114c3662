using EdgeStream.Processing.Engine;

namespace EdgeStream.Processing.Runtime;

/// <summary>
/// What the runtime needs of a rule: its id, the log topics it reads, the topics it may write (scanned for
/// already-written ids when it has no snapshot), and how to build a fresh evaluator. Immutable.
/// </summary>
internal sealed record RuleDefinition(string Id, IReadOnlyList<string> InputTopics, IReadOnlyList<string> OutputTopics, Func<IRuleEvaluator> CreateEvaluator);

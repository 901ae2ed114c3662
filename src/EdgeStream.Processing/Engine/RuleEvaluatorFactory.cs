using EdgeStream.Processing.Options;

namespace EdgeStream.Processing.Engine;

/// <summary>Builds the evaluator of a rule. Thread-safe (stateless).</summary>
internal static class RuleEvaluatorFactory
{
    /// <summary>Compiles <paramref name="rule"/> into a fresh evaluator (empty state).</summary>
    /// <exception cref="ArgumentException">The rule is invalid; the message names every bad key
    /// (<c>Processing:Rules:&lt;id&gt;:Window:Size: …</c>).</exception>
    public static IRuleEvaluator Create(RuleOptions rule) => new RuleEvaluator(CompiledRule.Compile(rule));
}

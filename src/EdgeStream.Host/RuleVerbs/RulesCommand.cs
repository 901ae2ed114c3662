using System.CommandLine;

namespace EdgeStream.Host.RuleVerbs;

/// <summary>The <c>rules</c> verb: try a rule on stored history (<c>test</c>) or write its output for a past range (<c>backfill</c>).</summary>
internal static class RulesCommand
{
    public static Command Create() => new("rules", "Run a processing rule over the stored log: print its output (test) or write it to a new topic (backfill).")
    {
        RuleTestVerb.Create(),
        RuleBackfillVerb.Create(),
    };
}

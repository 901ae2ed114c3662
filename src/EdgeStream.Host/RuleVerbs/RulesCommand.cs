using System.CommandLine;
using EdgeStream.Host.LogVerbs;

namespace EdgeStream.Host.RuleVerbs;

/// <summary>The <c>rules</c> verb: try a rule on stored history (<c>test</c>) or write its output for a past range (<c>backfill</c>).</summary>
internal static class RulesCommand
{
    public static Command Create() => new("rules", "Run a processing rule over the stored log: print its output (test) or write it to a new topic (backfill).")
    {
        RuleTestVerb.Create(),
        RuleBackfillVerb.Create(),
    };

    /// <summary>
    /// The process exit code for an invoked command line: a parse error of a <c>rules</c> verb (a missing option, a bad
    /// <c>--from</c>) is bad input like the verbs' own checks, so exit 2 rather than System.CommandLine's 1.
    /// </summary>
    public static int ExitCode(ParseResult parse, int code)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.Errors.Count == 0 || code == 0)
        {
            return code;
        }
        for (var c = parse.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (c.Command.Name == "rules" && c.Parent is System.CommandLine.Parsing.CommandResult { Parent: null })
            {
                return LogAccess.UsageError;
            }
        }
        return code;
    }
}

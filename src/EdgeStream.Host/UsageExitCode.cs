using System.CommandLine;
using EdgeStream.Host.LogVerbs;

namespace EdgeStream.Host;

/// <summary>
/// The process exit code for an invoked command line. A parse error (an unknown option, a missing argument, a value
/// that does not parse) is bad input like the verbs' own checks, so it exits 2 rather than System.CommandLine's 1:
/// scripts can then tell it from a verb's own 1 (<c>log cursors delete</c>: nothing to delete).
/// </summary>
internal static class UsageExitCode
{
    public static int For(ParseResult parse, int code)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return parse.Errors.Count > 0 && code != 0 ? LogAccess.UsageError : code;
    }
}

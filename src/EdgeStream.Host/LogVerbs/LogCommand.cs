using System.CommandLine;

namespace EdgeStream.Host.LogVerbs;

/// <summary>The <c>log</c> verb and its subcommands.</summary>
internal static class LogCommand
{
    public static Command Create()
    {
        var command = new Command("log", "Inspect the local log: topics, describe, dump, tail, verify, cursors; list, requeue or purge dead letters.")
        {
            TopicsVerb.Create(),
            DescribeVerb.Create(),
            DumpVerb.Create(),
            TailVerb.Create(),
            VerifyVerb.Create(),
            CursorsVerb.Create(),
            DlqVerb.Create(),
        };
        return command;
    }
}

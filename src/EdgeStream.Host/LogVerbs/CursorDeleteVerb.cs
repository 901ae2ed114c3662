using System.CommandLine;
using EdgeStream.Log;

namespace EdgeStream.Host.LogVerbs;

/// <summary>
/// <c>log cursors delete &lt;name&gt; [--topic t [--partition p]]</c>: deletes a cursor (of a removed sink or a finished
/// pull job) durably so it stops holding back retention. Exit 0 when something was deleted, 1 when the cursor had no
/// position there, 2 on bad input. Like every <c>log</c> tool it opens the data directory, so the service must be
/// stopped; against a running service use <c>DELETE /api/v1/cursors/{name}/{topic}/{partition}</c>.
/// </summary>
internal static class CursorDeleteVerb
{
    public static Command Create()
    {
        var data = LogAccess.DataOption();
        var name = new Argument<string>("name") { Description = "The cursor (for a sink: the sink's name)." };
        var topic = new Option<string?>("--topic") { Description = "Only on this topic (default: every topic)." };
        var partition = new Option<int?>("--partition") { Description = "Only on this partition of --topic." };
        var command = new Command("delete", "Delete a cursor so it no longer holds back retention.") { name, topic, partition, data };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var cursor = parse.GetValue(name)!;
            var onTopic = parse.GetValue(topic);
            var onPartition = parse.GetValue(partition);
            if (!TopicName.IsValid(cursor, out var reason))
            {
                await error.WriteLineAsync($"edgestream: invalid cursor name: {reason}");
                return LogAccess.UsageError;
            }
            if (onPartition is not null && onTopic is null)
            {
                await error.WriteLineAsync("edgestream: --partition needs --topic");
                return LogAccess.UsageError;
            }
            if (onPartition is < 0)
            {
                await error.WriteLineAsync("edgestream: --partition must not be negative");
                return LogAccess.UsageError;
            }
            await using var store = await LogAccess.OpenAsync(parse.GetValue(data)!, error, ct);
            if (store is null)
            {
                return LogAccess.UsageError;
            }
            var deleted = await store.DeleteCursorAsync(cursor, onTopic, onPartition, ct);
            if (deleted.Count == 0)
            {
                await error.WriteLineAsync($"edgestream: cursor '{cursor}' has no position{(onTopic is null ? "" : $" on {onTopic}{(onPartition is { } p ? $"/{p}" : "")}")}");
                return 1;
            }
            foreach (var c in deleted)
            {
                await output.WriteLineAsync($"deleted cursor {c.Name} on {c.Topic}/{c.Partition} (was at offset {c.NextOffset})");
            }
            return 0;
        });
        return command;
    }
}

using System.CommandLine;

namespace EdgeStream.Host.LogVerbs;

/// <summary><c>log topics</c>: one row per topic and partition with start/next offsets and sizes.</summary>
internal static class TopicsVerb
{
    public static Command Create()
    {
        var data = LogAccess.DataOption();
        var command = new Command("topics", "List topics with their partitions, offsets and sizes.") { data };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            await using var store = await LogAccess.OpenAsync(parse.GetValue(data)!, parse.InvocationConfiguration.Error, ct);
            if (store is null)
            {
                return LogAccess.UsageError;
            }
            var topics = store.GetTopics();
            if (topics.Count == 0)
            {
                await output.WriteLineAsync("(no topics)");
                return 0;
            }
            var table = new TextTable("TOPIC", "PARTITION", "START", "NEXT", "RECORDS", "BYTES");
            foreach (var topic in topics)
            {
                foreach (var p in topic.Partitions)
                {
                    table.Add(topic.Name, p.Partition, p.StartOffset, p.NextOffset, p.NextOffset - p.StartOffset, p.SizeBytes);
                }
            }
            table.WriteTo(output);
            return 0;
        });
        return command;
    }
}

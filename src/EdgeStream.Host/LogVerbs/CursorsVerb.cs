using System.CommandLine;

namespace EdgeStream.Host.LogVerbs;

/// <summary>
/// <c>log cursors</c>: each committed cursor per partition and its lag (partition next offset − cursor);
/// <c>log cursors delete</c> (see <see cref="CursorDeleteVerb"/>) removes one.
/// </summary>
internal static class CursorsVerb
{
    public static Command Create()
    {
        var data = LogAccess.DataOption();
        var command = new Command("cursors", "List committed cursors (e.g. sinks) per partition with their lag; 'delete' removes one.")
        {
            data,
            CursorDeleteVerb.Create(),
        };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            await using var store = await LogAccess.OpenAsync(parse.GetValue(data)!, parse.InvocationConfiguration.Error, ct);
            if (store is null)
            {
                return LogAccess.UsageError;
            }
            var cursors = store.GetCursors()
                .OrderBy(c => c.Name, StringComparer.Ordinal).ThenBy(c => c.Topic, StringComparer.Ordinal).ThenBy(c => c.Partition)
                .ToList();
            if (cursors.Count == 0)
            {
                await output.WriteLineAsync("(no cursors)");
                return 0;
            }
            var table = new TextTable("CURSOR", "TOPIC", "PARTITION", "POSITION", "NEXT", "LAG");
            foreach (var c in cursors)
            {
                // A cursor can outlive its topic or partition (deleted data directory parts); show it without a lag.
                var partition = store.GetTopic(c.Topic)?.Partitions.FirstOrDefault(p => p.Partition == c.Partition);
                table.Add(c.Name, c.Topic, c.Partition, c.NextOffset,
                    partition?.NextOffset.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                    partition is null ? "-" : Math.Max(0, partition.NextOffset - c.NextOffset));
            }
            table.WriteTo(output);
            return 0;
        });
        return command;
    }
}

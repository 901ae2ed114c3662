using System.CommandLine;
using System.Globalization;
using EdgeStream.Log;

namespace EdgeStream.Host.LogVerbs;

/// <summary><c>log describe &lt;topic&gt;</c>: the topic's settings and per-partition state.</summary>
internal static class DescribeVerb
{
    public static Command Create()
    {
        var data = LogAccess.DataOption();
        var topicArg = new Argument<string>("topic") { Description = "The topic to describe." };
        var command = new Command("describe", "Show a topic's settings and each partition's offsets, durable offset, size and segments.") { data, topicArg };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            await using var store = await LogAccess.OpenAsync(parse.GetValue(data)!, parse.InvocationConfiguration.Error, ct);
            if (store is null || LogAccess.FindTopic(store, parse.GetValue(topicArg)!, parse.InvocationConfiguration.Error) is not { } topic)
            {
                return LogAccess.UsageError;
            }
            WriteSettings(output, topic);
            output.WriteLine();
            var table = new TextTable("PARTITION", "START", "NEXT", "DURABLE", "RECORDS", "BYTES", "SEGMENTS");
            foreach (var p in topic.Partitions)
            {
                table.Add(p.Partition, p.StartOffset, p.NextOffset, p.DurableOffset, p.NextOffset - p.StartOffset, p.SizeBytes, p.SegmentCount);
            }
            table.WriteTo(output);
            return 0;
        });
        return command;
    }

    private static void WriteSettings(TextWriter output, TopicInfo topic)
    {
        var s = topic.Settings;
        output.WriteLine($"Topic: {topic.Name}");
        output.WriteLine($"Partitions: {s.Partitions}");
        output.WriteLine($"Size: {topic.SizeBytes.ToString(CultureInfo.InvariantCulture)} bytes");
        // Only the partition count is stored with the log; the rest are the settings this tool opened it with.
        output.WriteLine("Settings (defaults; the service's configuration is not stored in the data directory):");
        output.WriteLine($"  SegmentBytes: {s.SegmentBytes.ToString(CultureInfo.InvariantCulture)}");
        output.WriteLine($"  SegmentMaxAge: {s.SegmentMaxAge.ToString("c", CultureInfo.InvariantCulture)}");
        output.WriteLine($"  RetentionBytes: {s.RetentionBytes?.ToString(CultureInfo.InvariantCulture) ?? "none"}");
        output.WriteLine($"  RetentionAge: {s.RetentionAge?.ToString("c", CultureInfo.InvariantCulture) ?? "none"}");
        output.WriteLine($"  Compression: {s.Compression}");
        output.WriteLine($"  WhenFull: {s.WhenFull}");
        output.WriteLine($"  KeepUnconsumed: {s.KeepUnconsumed}");
        output.WriteLine($"  IndexIntervalBytes: {s.IndexIntervalBytes.ToString(CultureInfo.InvariantCulture)}");
    }
}

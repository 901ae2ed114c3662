using System.CommandLine;
using System.Globalization;
using EdgeStream.Log;

namespace EdgeStream.Host.LogVerbs;

/// <summary>
/// <c>log dump &lt;topic&gt;</c>: prints the durable records of one partition or of all partitions in partition order,
/// from an offset or a time, up to <c>--count</c> records in total, then exits.
/// </summary>
internal static class DumpVerb
{
    public static Command Create()
    {
        var data = LogAccess.DataOption();
        var topicArg = new Argument<string>("topic") { Description = "The topic to dump." };
        var partition = new Option<int?>("--partition") { Description = "Only this partition (default: every partition, in order)." };
        var fromOffset = new Option<long?>("--from-offset") { Description = "Start at this offset in each partition (default: the first stored)." };
        var fromTime = TimeOption("--from-time", "Start at the first record at or after this ISO-8601 time (no offset given means UTC).");
        var count = new Option<long?>("--count") { Description = "Print at most this many records in total." };
        var format = RecordPrinter.FormatOption(RecordFormat.Jsonl);
        var command = new Command("dump", "Print a topic's records (jsonl: one JSON object per line; text: one line each).")
        {
            data, topicArg, partition, fromOffset, fromTime, count, format,
        };
        command.Validators.Add(result =>
        {
            long? offset, most;
            try
            {
                (offset, most) = (result.GetValue(fromOffset), result.GetValue(count));
            }
            catch (InvalidOperationException)
            {
                // Not a number: validators run anyway and reading it throws (the process would abort); the parser
                // reports the value itself once this returns.
                return;
            }
            if (offset is not null && result.GetValue(fromTime) is not null)
            {
                result.AddError("--from-offset and --from-time cannot be used together.");
            }
            if (most is <= 0)
            {
                result.AddError("--count must be positive.");
            }
            if (offset is < 0)
            {
                result.AddError("--from-offset must not be negative.");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            await using var store = await LogAccess.OpenAsync(parse.GetValue(data)!, error, ct);
            if (store is null
                || LogAccess.FindTopic(store, parse.GetValue(topicArg)!, error) is not { } topic
                || LogAccess.SelectPartitions(topic, parse.GetValue(partition), error) is not { } partitions)
            {
                return LogAccess.UsageError;
            }
            var start = new StartAt(parse.GetValue(fromOffset), parse.GetValue(fromTime));
            try
            {
                await DumpAsync(store, topic.Name, partitions, start, parse.GetValue(count) ?? long.MaxValue,
                    new RecordPrinter(output, parse.GetValue(format)), ct);
            }
            catch (CorruptBatchException e)
            {
                await output.FlushAsync(ct);
                await error.WriteLineAsync($"edgestream: {e.Message}");
                return 1;
            }
            await output.FlushAsync(ct);
            return 0;
        });
        return command;
    }

    /// <summary>A <c>DateTimeOffset</c> option that reads ISO-8601 and takes a time without an offset as UTC, not local.</summary>
    internal static Option<DateTimeOffset?> TimeOption(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            {
                return t;
            }
            result.AddError($"{name}: '{text}' is not an ISO-8601 time (e.g. 2026-11-24T22:33:21Z).");
            return null;
        },
    };

    private static async Task DumpAsync(LogStore store, string topic, IReadOnlyList<PartitionInfo> partitions, StartAt start, long remaining,
        RecordPrinter printer, CancellationToken ct)
    {
        foreach (var p in partitions)
        {
            if (remaining == 0)
            {
                return;
            }
            var next = start.Time is { } time
                ? store.FindOffset(topic, p.Partition, time)
                : start.Offset ?? p.StartOffset;
            // The end as of opening: nothing else appends through this store, so this is the partition's durable end.
            while (next < p.DurableOffset && remaining > 0)
            {
                var limits = new ReadLimits((int)Math.Min(remaining, ReadLimits.Default.MaxRecords), ReadLimits.Default.MaxBytes);
                var result = store.Read(topic, p.Partition, next, limits);
                if (result.Records.Count == 0)
                {
                    break;
                }
                foreach (var record in result.Records)
                {
                    await printer.PrintAsync(record, ct);
                    remaining--;
                }
                next = result.NextOffset;
            }
        }
    }

    private readonly record struct StartAt(long? Offset, DateTimeOffset? Time);
}

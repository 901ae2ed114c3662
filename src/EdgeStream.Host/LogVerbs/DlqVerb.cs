using System.CommandLine;
using System.Globalization;
using System.Text;
using EdgeStream.Log;

namespace EdgeStream.Host.LogVerbs;

/// <summary>
/// <c>log dlq list|requeue|purge</c>: the operator's side of dead letters. Dead-letter topics (<c>&lt;topic&gt;.dlq</c>)
/// are never deleted by retention, so these verbs are how they are cleared: <c>requeue</c> appends them back to the
/// original topic (durably) and then purges them; <c>purge</c> deletes them. Both refuse to run without <c>--yes</c>
/// (they print what they would do). Like the other verbs they open the data directory themselves: stop the service first.
/// </summary>
internal static class DlqVerb
{
    private const string HeaderPrefix = "edgestream.dlq.";
    private static readonly ReadLimits Page = new(500, 1 << 20);

    public static Command Create() => new("dlq", "Dead letters: list them, requeue them to their topic, or purge them.")
    {
        List(), Requeue(), Purge(),
    };

    private static Command List()
    {
        var data = LogAccess.DataOption();
        var topicArg = new Argument<string?>("topic") { Description = "Show this topic's dead letters one by one (the topic or its .dlq name).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("list", "List dead-letter topics with records and bytes, or one topic's dead letters with their reasons.") { data, topicArg };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            await using var store = await LogAccess.OpenAsync(parse.GetValue(data)!, error, ct);
            if (store is null)
            {
                return LogAccess.UsageError;
            }
            if (parse.GetValue(topicArg) is { } name)
            {
                if (LogAccess.FindTopic(store, DlqName(name), error) is not { } topic)
                {
                    return LogAccess.UsageError;
                }
                var rows = new TextTable("PARTITION", "OFFSET", "TIME", "SINK", "SOURCE", "REASON");
                foreach (var p in topic.Partitions)
                {
                    await foreach (var r in ReadAllAsync(store, topic.Name, p.Partition, ct))
                    {
                        rows.Add(r.Partition, r.Offset, r.Timestamp.ToString("O", CultureInfo.InvariantCulture), Header(r, "sink"), Header(r, "source"), Header(r, "reason"));
                    }
                }
                rows.WriteTo(output);
                return 0;
            }
            var dlqs = store.GetTopics().Where(t => TopicSettings.IsDeadLetterTopic(t.Name)).ToList();
            if (dlqs.Count == 0)
            {
                await output.WriteLineAsync("(no dead-letter topics)");
                return 0;
            }
            var table = new TextTable("DLQ", "SOURCE TOPIC", "RECORDS", "BYTES");
            foreach (var t in dlqs)
            {
                table.Add(t.Name, t.Name[..^TopicSettings.DeadLetterSuffix.Length], Records(t), t.SizeBytes);
            }
            table.WriteTo(output);
            return 0;
        });
        return command;
    }

    private static Command Requeue()
    {
        var data = LogAccess.DataOption();
        var topicArg = new Argument<string>("topic") { Description = "The topic whose dead letters to requeue (the topic or its .dlq name)." };
        var yes = new Option<bool>("--yes") { Description = "Do it (without it, only say what would be done)." };
        var command = new Command("requeue", "Append a topic's dead letters back to the topic (forwarded again), then purge them.") { data, topicArg, yes };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            await using var store = await LogAccess.OpenAsync(parse.GetValue(data)!, error, ct);
            var dlqName = DlqName(parse.GetValue(topicArg)!);
            if (store is null
                || LogAccess.FindTopic(store, dlqName, error) is not { } dlq
                || LogAccess.FindTopic(store, dlqName[..^TopicSettings.DeadLetterSuffix.Length], error) is not { } target)
            {
                return LogAccess.UsageError;
            }
            var count = Records(dlq);
            if (!parse.GetValue(yes))
            {
                await output.WriteLineAsync($"would requeue {count} record(s) from {dlq.Name} to {target.Name} and purge {dlq.Name}; add --yes to do it");
                return LogAccess.UsageError;
            }
            long requeued = 0;
            foreach (var p in dlq.Partitions)
            {
                await foreach (var r in ReadAllAsync(store, dlq.Name, p.Partition, ct))
                {
                    // Back to the partition it came from (keeps its order relative to the dead-lettering), unless that
                    // is unknown; the dead-letter headers go, so a second refusal records fresh ones.
                    var record = new LogRecord(r.Value, r.Key, r.Timestamp, [.. r.Headers.Where(h => !h.Name.StartsWith(HeaderPrefix, StringComparison.Ordinal))]);
                    if (SourcePartition(r) is { } sp && sp < target.Partitions.Count)
                    {
                        await store.AppendBatchAsync(target.Name, sp, [record], ct);
                    }
                    else
                    {
                        await store.AppendAsync(target.Name, record, ct);
                    }
                    requeued++;
                }
            }
            // Durable in the topic before the dead letters go: a crash in between requeues them twice, never loses one.
            await store.FlushAsync(ct);
            var purged = await store.PurgeTopicAsync(dlq.Name, ct);
            await output.WriteLineAsync($"requeued {requeued} record(s) from {dlq.Name} to {target.Name}; purged {purged} from {dlq.Name}");
            return 0;
        });
        return command;
    }

    private static Command Purge()
    {
        var data = LogAccess.DataOption();
        var topicArg = new Argument<string>("topic") { Description = "The topic whose dead letters to delete (the topic or its .dlq name)." };
        var yes = new Option<bool>("--yes") { Description = "Do it (without it, only say what would be done)." };
        var command = new Command("purge", "Delete a topic's dead letters for good.") { data, topicArg, yes };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            await using var store = await LogAccess.OpenAsync(parse.GetValue(data)!, error, ct);
            if (store is null || LogAccess.FindTopic(store, DlqName(parse.GetValue(topicArg)!), error) is not { } dlq)
            {
                return LogAccess.UsageError;
            }
            if (!parse.GetValue(yes))
            {
                await output.WriteLineAsync($"would delete {Records(dlq)} record(s) from {dlq.Name}; add --yes to do it");
                return LogAccess.UsageError;
            }
            var purged = await store.PurgeTopicAsync(dlq.Name, ct);
            await output.WriteLineAsync($"purged {purged} record(s) from {dlq.Name}");
            return 0;
        });
        return command;
    }

    private static string DlqName(string topic)
        => TopicSettings.IsDeadLetterTopic(topic) ? topic : topic + TopicSettings.DeadLetterSuffix;

    private static long Records(TopicInfo topic) => topic.Partitions.Sum(p => p.NextOffset - p.StartOffset);

    private static string Header(StoredRecord r, string name)
        => r.GetHeader(HeaderPrefix + name) is { } v ? Encoding.UTF8.GetString(v.Span) : "-";

    // The source id is {nodeId}/{topic}/{partition}/{offset}; the node id may hold '/', the topic may not.
    private static int? SourcePartition(StoredRecord r)
    {
        var parts = Header(r, "source").Split('/');
        return parts.Length >= 4 && int.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : null;
    }

    private static async IAsyncEnumerable<StoredRecord> ReadAllAsync(LogStore store, string topic, int partition, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var next = 0L;
        while (true)
        {
            var page = store.Read(topic, partition, next, Page);
            if (page.Records.Count == 0)
            {
                yield break;
            }
            foreach (var r in page.Records)
            {
                yield return r;
            }
            next = page.NextOffset;
        }
    }
}

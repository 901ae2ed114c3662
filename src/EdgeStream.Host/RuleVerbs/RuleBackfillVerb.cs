using System.CommandLine;
using EdgeStream.Host.LogVerbs;
using EdgeStream.Log;
using EdgeStream.Processing.Engine;
using EdgeStream.Processing.Runtime;

namespace EdgeStream.Host.RuleVerbs;

/// <summary>
/// <c>rules backfill &lt;rule-id&gt; --to-topic &lt;t&gt; --config --data [--from] [--to] [--close-open] [--force]</c>: runs
/// the rule over stored history and appends every output (whatever topic the rule names) to <c>t</c>, with the usual
/// <c>es.rule</c>/<c>es.id</c> headers plus <c>es.backfill</c>, durably. The outputs are exactly those
/// <c>rules test</c> prints for the same range. So that a backfill never mixes into live output silently, it refuses
/// (exit 2) a topic that already holds records or that a configured rule writes (<c>To</c>, <c>Alert</c>, side topic)
/// unless <c>--force</c>, and always refuses one of the rule's input topics (it would read its own output). Not to be
/// run beside <c>edgestream run</c> on the same data directory.
/// </summary>
internal static class RuleBackfillVerb
{
    public static Command Create()
    {
        var args = new RuleArguments();
        var toTopic = new Option<string>("--to-topic") { Description = "The new topic to write the rule's output to.", Required = true };
        var force = new Option<bool>("--force")
        {
            Description = "Write even into a topic that already holds records, or that a configured rule writes live (a live rule ignores backfilled records).",
        };
        var command = new Command("backfill", "Run a rule over a past range and write its output to a new topic.") { toTopic, force };
        args.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetValue(toTopic) is { } t && !TopicName.IsValid(t, out var reason))
            {
                result.AddError($"--to-topic: {reason}.");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (await RuleArguments.LoadWithOthersAsync(parse.GetValue(args.Config)!, parse.GetValue(args.RuleId)!, error) is not { } loaded)
            {
                return LogAccess.UsageError;
            }
            var (rule, all) = loaded;
            var target = parse.GetValue(toTopic)!;
            var forced = parse.GetValue(force);
            var (from, to) = (RuleArguments.Bound(parse.GetValue(args.From)), RuleArguments.Bound(parse.GetValue(args.To)));
            if (RuleArguments.RangeError(from, to) is { } rangeError)
            {
                await error.WriteLineAsync($"edgestream: {rangeError}");
                return LogAccess.UsageError;
            }
            var topics = rule.From.AllTopics();
            if (topics.Contains(target, StringComparer.Ordinal))
            {
                await error.WriteLineAsync($"edgestream: '{target}' is an input topic of rule '{rule.Id}'; a backfill cannot write where it reads");
                return LogAccess.UsageError;
            }
            if (!forced && all.FirstOrDefault(r => r.OutputTopics().Contains(target, StringComparer.Ordinal)) is { } writer)
            {
                await error.WriteLineAsync($"edgestream: rule '{writer.Id}' writes '{target}' live; a backfill goes to a new topic (use --force to write there anyway)");
                return LogAccess.UsageError;
            }
            var data = parse.GetValue(args.Data)!;
            if (!Directory.Exists(Path.Combine(data, "topics")))
            {
                await error.WriteLineAsync($"edgestream: no log in '{Path.GetFullPath(data)}' (no topics/ directory)");
                return LogAccess.UsageError;
            }
            await using var store = await LogStore.OpenAsync(new LogOptions { DataDirectory = data, CommitPolicy = "group", RetentionCheckInterval = TimeSpan.FromDays(49) }, cancellationToken: ct);
            if (!forced && store.GetTopic(target) is { } existing && existing.Partitions.Sum(p => p.NextOffset - p.StartOffset) is > 0 and var held)
            {
                await error.WriteLineAsync($"edgestream: topic '{target}' already holds {held} records; a backfill writes only to a new (or empty) topic (use --force to append)");
                return LogAccess.UsageError;
            }
            if (forced)
            {
                await error.WriteLineAsync($"edgestream: --force: appending to '{target}' whatever it holds; the records carry {OutputHeaders.Backfill}");
            }
            store.EnsureTopic(target);
            var progress = ReplayProgress.For(error, await RuleReplay.CountAsync(store, topics, from, to, ct));
            long written = 0;
            var read = await RuleReplay.RunAsync(store, RuleEvaluatorFactory.Create(rule), topics, from, to, parse.GetValue(args.CloseAtEnd), async (outputs, token) =>
            {
                written += await AppendAsync(store, target, rule.Id, outputs, token);
            }, progress, ct);
            await store.FlushAsync(ct);
            progress.Done(read);
            await output.WriteLineAsync($"rule {rule.Id}: {read} records read, {written} outputs written to {target}");
            return 0;
        });
        return command;
    }

    /// <summary>Appends one batch per target partition (the output key's partition, as the live rule picks it), in output order.</summary>
    private static async Task<long> AppendAsync(LogStore store, string target, string ruleId, List<RuleOutput> outputs, CancellationToken cancellationToken)
    {
        var batches = new SortedDictionary<int, List<LogRecord>>();
        foreach (var o in outputs)
        {
            var partition = o.Key is { Length: > 0 } k ? store.PartitionFor(target, k.Span) : 0;
            if (!batches.TryGetValue(partition, out var batch))
            {
                batches[partition] = batch = [];
            }
            batch.Add(new LogRecord(o.Value, o.Key, o.Timestamp,
                [OutputHeaders.Header(OutputHeaders.Rule, ruleId), OutputHeaders.Header(OutputHeaders.Id, o.Id), OutputHeaders.Header(OutputHeaders.Backfill, "true")]));
        }
        foreach (var (partition, batch) in batches)
        {
            await store.AppendBatchAsync(target, partition, batch, cancellationToken);
        }
        return outputs.Count;
    }
}

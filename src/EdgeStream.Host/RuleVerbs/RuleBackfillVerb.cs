using System.CommandLine;
using EdgeStream.Host.LogVerbs;
using EdgeStream.Log;
using EdgeStream.Processing.Engine;
using EdgeStream.Processing.Runtime;

namespace EdgeStream.Host.RuleVerbs;

/// <summary>
/// <c>rules backfill &lt;rule-id&gt; --to-topic &lt;t&gt; --config --data [--from] [--to]</c>: runs the rule over stored
/// history and appends every output (whatever topic the rule names) to the new topic <c>t</c>, with the usual
/// <c>es.rule</c>/<c>es.id</c> headers, durably. Refuses a topic that already holds records, so a backfill never mixes
/// with live output. Not to be run beside <c>edgestream run</c> on the same data directory (the log is locked).
/// </summary>
internal static class RuleBackfillVerb
{
    public static Command Create()
    {
        var args = new RuleArguments();
        var toTopic = new Option<string>("--to-topic") { Description = "The new topic to write the rule's output to.", Required = true };
        var command = new Command("backfill", "Run a rule over a past range and write its output to a new topic.") { toTopic };
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
            if (await RuleArguments.LoadAsync(parse.GetValue(args.Config)!, parse.GetValue(args.RuleId)!, error) is not { } rule)
            {
                return LogAccess.UsageError;
            }
            var data = parse.GetValue(args.Data)!;
            if (!Directory.Exists(Path.Combine(data, "topics")))
            {
                await error.WriteLineAsync($"edgestream: no log in '{Path.GetFullPath(data)}' (no topics/ directory)");
                return LogAccess.UsageError;
            }
            var target = parse.GetValue(toTopic)!;
            await using var store = await LogStore.OpenAsync(new LogOptions { DataDirectory = data, CommitPolicy = "group", RetentionCheckInterval = TimeSpan.FromDays(49) }, cancellationToken: ct);
            if (store.GetTopic(target) is { } existing && existing.Partitions.Any(p => p.NextOffset > p.StartOffset))
            {
                await error.WriteLineAsync($"edgestream: topic '{target}' already holds records; backfill writes only to a new (or empty) topic");
                return LogAccess.UsageError;
            }
            store.EnsureTopic(target);
            var topics = rule.From.AllTopics();
            var (from, to) = (RuleArguments.Bound(parse.GetValue(args.From)), RuleArguments.Bound(parse.GetValue(args.To)));
            var progress = new ReplayProgress(error, await RuleReplay.CountAsync(store, topics, from, to, ct));
            long written = 0;
            var read = await RuleReplay.RunAsync(store, RuleEvaluatorFactory.Create(rule), topics, from, to, parse.GetValue(args.CloseAtEnd), async (outputs, token) =>
            {
                foreach (var o in outputs)
                {
                    await store.AppendAsync(target, new LogRecord(o.Value, o.Key, o.Timestamp,
                        [OutputHeaders.Header(OutputHeaders.Rule, rule.Id), OutputHeaders.Header(OutputHeaders.Id, o.Id)]), token);
                    written++;
                }
            }, progress, ct);
            await store.FlushAsync(ct);
            progress.Done(read);
            await output.WriteLineAsync($"rule {rule.Id}: {read} records read, {written} outputs written to {target}");
            return 0;
        });
        return command;
    }
}

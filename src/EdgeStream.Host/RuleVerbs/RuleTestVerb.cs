using System.CommandLine;
using System.Text;
using System.Text.Json;
using EdgeStream.Host.LogVerbs;
using EdgeStream.Processing.Engine;
using EdgeStream.Processing.Runtime;

namespace EdgeStream.Host.RuleVerbs;

/// <summary>
/// <c>rules test &lt;rule-id&gt; --config &lt;file&gt; --data &lt;dir&gt; [--from] [--to]</c>: runs the rule over stored
/// history and prints its outputs as JSON lines (<c>topic</c>, <c>id</c>, <c>key</c>, <c>timestamp</c>, <c>value</c>),
/// writing nothing. Exit 0, or 2 for an unknown rule, an invalid rule or a missing log.
/// </summary>
internal static class RuleTestVerb
{
    public static Command Create()
    {
        var args = new RuleArguments();
        var command = new Command("test", "Run a rule over stored history and print its output as JSON lines, without writing anything.");
        args.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (await RuleArguments.LoadAsync(parse.GetValue(args.Config)!, parse.GetValue(args.RuleId)!, error) is not { } rule)
            {
                return LogAccess.UsageError;
            }
            await using var store = await LogAccess.OpenAsync(parse.GetValue(args.Data)!, error, ct);
            if (store is null)
            {
                return LogAccess.UsageError;
            }
            var topics = rule.From.AllTopics();
            var (from, to) = (RuleArguments.Bound(parse.GetValue(args.From)), RuleArguments.Bound(parse.GetValue(args.To)));
            if (RuleArguments.RangeError(from, to) is { } rangeError)
            {
                await error.WriteLineAsync($"edgestream: {rangeError}");
                return LogAccess.UsageError;
            }
            var progress = ReplayProgress.For(error, await RuleReplay.CountAsync(store, topics, from, to, ct));
            var evaluator = RuleEvaluatorFactory.Create(rule);
            long printed = 0;
            var read = await RuleReplay.RunAsync(store, evaluator, topics, from, to, parse.GetValue(args.CloseAtEnd), async (outputs, token) =>
            {
                foreach (var o in outputs)
                {
                    await output.WriteLineAsync(Line(o));
                    printed++;
                }
            }, progress, ct);
            progress.Done(read);
            await output.FlushAsync(ct);
            var s = evaluator.Stats;
            await error.WriteLineAsync($"rule {rule.Id}: {read} records read, {printed} outputs, {s.Skipped} skipped, {s.Late} late, {s.Clamped} clamped, {s.OpenWindows} windows still open");
            return 0;
        });
        return command;
    }

    /// <summary>One output as a JSON line; the value is embedded as JSON when it is, else as a string.</summary>
    internal static string Line(RuleOutput o)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("topic", o.Topic);
            w.WriteString("id", o.Id);
            if (o.Key is { } key)
            {
                w.WriteString("key", Encoding.UTF8.GetString(key.Span));
            }
            w.WriteString("timestamp", o.Timestamp);
            w.WritePropertyName("value");
            try
            {
                using var doc = JsonDocument.Parse(o.Value);
                doc.RootElement.WriteTo(w);
            }
            catch (JsonException)
            {
                w.WriteStringValue(Encoding.UTF8.GetString(o.Value.Span));
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

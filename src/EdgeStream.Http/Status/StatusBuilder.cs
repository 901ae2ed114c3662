using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeStream.Http.Redaction;
using EdgeStream.Log;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Http.Status;

/// <summary>
/// Builds the status snapshot: topics and cursors straight from the log, then each contributor's section. A failing
/// contributor yields <c>{"error": ...}</c> rather than failing the whole page. Every section passes through the
/// <see cref="SecretRedactor"/>: sinks' errors and settings may quote URLs with credentials. Thread-safe.
/// </summary>
internal sealed class StatusBuilder(LogStore store, StatusContributors contributors, SecretRedactor redactor, TimeProvider time, ILogger<StatusBuilder> logger)
{
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase) { "time", "topics", "cursors", "corruption" };

    public StatusDocument Build()
    {
        var topics = store.GetTopics();
        var cursors = CursorViews.From(store, topics);
        var failures = store.GetFailedPartitions();
        Dictionary<string, JsonElement>? sections = null;
        foreach (var contributor in contributors.All)
        {
            sections ??= new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            if (Reserved.Contains(contributor.Name) || sections.ContainsKey(contributor.Name))
            {
                HttpLog.StatusContributorNameTaken(logger, contributor.Name);
                continue;
            }
            sections[contributor.Name] = redactor.Redact(Section(contributor));
        }
        return new StatusDocument { Time = time.GetUtcNow(), Topics = [.. topics.Select(t => TopicView.From(t, failures))], Cursors = cursors, Corruption = store.GetCorruptions(), Sections = sections };
    }

    private JsonElement Section(IStatusContributor contributor)
    {
        try
        {
            return contributor.GetStatus() switch
            {
                null => JsonSerializer.SerializeToElement(null, HttpJsonContext.Default.JsonNode),
                JsonElement e => e.Clone(),
                JsonNode n => JsonSerializer.SerializeToElement(n, HttpJsonContext.Default.JsonNode),
                // Serializing an arbitrary object takes reflection, which trimmed and NativeAOT builds do not have.
                var o => Error($"status contributor returned a {o.GetType().Name}, not a JsonElement or JsonNode (use AddEdgeStreamStatus with a JsonTypeInfo)"),
            };
        }
#pragma warning disable CA1031 // A contributor from another stage must not take the status endpoint down with it.
        catch (Exception e)
#pragma warning restore CA1031
        {
            HttpLog.StatusContributorFailed(logger, contributor.Name, e);
            return Error(e.Message);
        }
    }

    private static JsonElement Error(string message)
        => JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["error"] = message }, HttpJsonContext.Default.DictionaryStringString);
}

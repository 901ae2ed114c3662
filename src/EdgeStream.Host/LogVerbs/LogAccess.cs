using System.CommandLine;
using EdgeStream.Log;

namespace EdgeStream.Host.LogVerbs;

/// <summary>
/// What every <c>log</c> verb shares: the <c>--data</c> option and opening the store for reading.
/// Opening runs recovery (it may truncate a torn tail); that is accepted for the tools. Not an exclusive lock: running
/// the tools beside a live <c>edgestream run</c> on the same directory is unsafe, and locking is left to the log itself.
/// </summary>
internal static class LogAccess
{
    /// <summary>Exit code for bad input (unknown topic, missing data directory, conflicting options).</summary>
    public const int UsageError = 2;

    // PeriodicTimer accepts at most ~49.7 days; the tools never want retention to run.
    private static readonly TimeSpan NoRetention = TimeSpan.FromDays(49);

    public static Option<string> DataOption() => new("--data")
    {
        Description = "The log's data directory.",
        DefaultValueFactory = _ => "./data",
    };

    /// <summary>Opens the log in <paramref name="dataDirectory"/>, or writes why not to <paramref name="error"/> and returns null.</summary>
    public static async Task<LogStore?> OpenAsync(string dataDirectory, TextWriter error, CancellationToken cancellationToken)
    {
        // LogStore.OpenAsync creates a missing directory; a typo in --data must not leave an empty log behind.
        if (!Directory.Exists(Path.Combine(dataDirectory, "topics")))
        {
            await error.WriteLineAsync($"edgestream: no log in '{Path.GetFullPath(dataDirectory)}' (no topics/ directory)");
            return null;
        }
        var options = new LogOptions
        {
            DataDirectory = dataDirectory,
            CommitPolicy = "group",
            // Read-only use: never create topics, and never delete anything. Topic settings are not stored on disk, so
            // retention here would apply the tool's defaults rather than the service's configuration.
            AutoCreateTopics = false,
            RetentionCheckInterval = NoRetention,
        };
        return await LogStore.OpenAsync(options, cancellationToken: cancellationToken);
    }

    /// <summary>The topic's snapshot, or writes that it does not exist and returns null.</summary>
    public static TopicInfo? FindTopic(LogStore store, string topic, TextWriter error)
    {
        if (store.GetTopic(topic) is { } info)
        {
            return info;
        }
        error.WriteLine($"edgestream: no topic '{topic}'");
        return null;
    }

    /// <summary>The partitions to read: the one asked for, or all in order; null (after writing why) when it does not exist.</summary>
    public static IReadOnlyList<PartitionInfo>? SelectPartitions(TopicInfo topic, int? partition, TextWriter error)
    {
        if (partition is not { } p)
        {
            return topic.Partitions;
        }
        if (p < 0 || p >= topic.Partitions.Count)
        {
            error.WriteLine($"edgestream: topic '{topic.Name}' has partitions 0..{topic.Partitions.Count - 1}, not {p}");
            return null;
        }
        return [topic.Partitions[p]];
    }
}

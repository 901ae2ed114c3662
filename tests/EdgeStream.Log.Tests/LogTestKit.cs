using System.Text;

namespace EdgeStream.Log.Tests;

internal static class LogTestKit
{
    public static LogOptions Options(string dir, string commit = "group", Action<TopicSettings>? defaults = null)
    {
        var options = new LogOptions { DataDirectory = dir, CommitPolicy = commit, MinFreeBytes = 0, MinFreePercent = 0 };
        defaults?.Invoke(options.Defaults);
        return options;
    }

    public static LogRecord Text(string value, string? key = null, DateTimeOffset? at = null, params RecordHeader[] headers)
        => new(Encoding.UTF8.GetBytes(value), key is null ? null : Encoding.UTF8.GetBytes(key), at, headers);

    public static string Text(this StoredRecord record) => Encoding.UTF8.GetString(record.Value.Span);

    public static async Task<List<StoredRecord>> ReadAllAsync(LogStore store, string topic, int partition, long from = 0)
    {
        var all = new List<StoredRecord>();
        while (true)
        {
            var result = store.Read(topic, partition, from, new ReadLimits(500, 1 << 20));
            if (result.Records.Count == 0)
            {
                return all;
            }
            all.AddRange(result.Records);
            from = result.NextOffset;
        }
    }
}

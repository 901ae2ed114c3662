using System.Text;
using EdgeStream.Log;

namespace EdgeStream.Forwarding.Tests.Infrastructure;

/// <summary>A real <see cref="LogStore"/> in a temp directory, with helpers to fill it.</summary>
public sealed class TestLog : IAsyncDisposable
{
    private readonly TempDir _dir;

    private TestLog(TempDir dir, LogStore store)
    {
        _dir = dir;
        Store = store;
    }

    public LogStore Store { get; private set; }

    public string DataDirectory => _dir.Path;

    public static async Task<TestLog> OpenAsync(int partitions = 4)
    {
        var dir = new TempDir("log");
        return new TestLog(dir, await LogStore.OpenAsync(Options(dir.Path, partitions)));
    }

    private static LogOptions Options(string path, int partitions) => new()
    {
        DataDirectory = path,
        CommitPolicy = "group",
        Defaults = new TopicSettings { Partitions = partitions },
        MinFreeBytes = 0,
        MinFreePercent = 0,
    };

    /// <summary>Closes and reopens the log on the same directory (a process restart).</summary>
    public async Task ReopenAsync(int partitions = 4)
    {
        await Store.DisposeAsync();
        Store = await LogStore.OpenAsync(Options(_dir.Path, partitions));
    }

    /// <summary>Appends <paramref name="perPartition"/> records to each partition, value "{topic}/{p}/{i}" padded to <paramref name="valueBytes"/>.</summary>
    public async Task FillAsync(string topic, int partitions, int perPartition, int valueBytes = 0, int batch = 500, int startIndex = 0, Func<int, int, IReadOnlyList<RecordHeader>?>? headers = null)
    {
        Store.EnsureTopic(topic);
        for (var p = 0; p < partitions; p++)
        {
            for (var i = 0; i < perPartition; i += batch)
            {
                var n = Math.Min(batch, perPartition - i);
                var records = new List<LogRecord>(n);
                for (var j = 0; j < n; j++)
                {
                    var index = startIndex + i + j;
                    records.Add(new LogRecord(Value(topic, p, index, valueBytes), headers: headers?.Invoke(p, index)));
                }
                await Store.AppendBatchAsync(topic, p, records);
            }
        }
        await Store.FlushAsync();
    }

    public static byte[] Value(string topic, int partition, int index, int size = 0)
    {
        var s = $"{topic}/{partition}/{index}";
        if (s.Length < size)
        {
            s = s.PadRight(size, '.');
        }
        return Encoding.UTF8.GetBytes(s);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        _dir.Dispose();
    }
}

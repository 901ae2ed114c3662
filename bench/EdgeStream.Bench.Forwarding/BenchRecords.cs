using System.Globalization;
using System.Text;
using EdgeStream.Log;

namespace EdgeStream.Bench.Forwarding;

/// <summary>The benchmark's records: fixed-size values spread evenly over the partitions of one topic.</summary>
internal static class BenchRecords
{
    public const string Topic = "bench";
    public const string Node = "bench-node";

    public static byte[] Value(int partition, long index, int size)
    {
        var value = new byte[size];
        value.AsSpan().Fill((byte)'x');
        Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{partition}/{index}")).CopyTo(value, 0);
        return value;
    }

    /// <summary>Node id of round <paramref name="round"/>: every round needs fresh ids, or JetStream would de-duplicate it.</summary>
    public static string NodeOf(int round) => $"{Node}-{round}";

    public static string Id(string node, int partition, long offset) => string.Create(CultureInfo.InvariantCulture, $"{node}/{Topic}/{partition}/{offset}");

    public static async Task PreloadAsync(LogStore log, int partitions, long perPartition, int size)
    {
        log.EnsureTopic(Topic);
        for (var p = 0; p < partitions; p++)
        {
            for (long i = 0; i < perPartition; i += 1000)
            {
                var n = (int)Math.Min(1000, perPartition - i);
                var batch = new List<LogRecord>(n);
                for (var j = 0; j < n; j++)
                {
                    batch.Add(new LogRecord(Value(p, i + j, size)));
                }
                await log.AppendBatchAsync(Topic, p, batch);
            }
        }
        await log.FlushAsync();
    }
}

using EdgeStream.Log;

namespace EdgeStream.Processing.Runtime;

/// <summary>
/// Splits the outputs a rule appends to one partition into batches the log accepts: one input batch can yield far
/// more output than the log's 64 MiB batch limit (a record closing 1000 hopping windows, an idle close of every key),
/// and a batch beyond it would be refused on every restart, so the rule could never move on. Each chunk stays within
/// <see cref="MaxChunkBytes"/> by an upper estimate of the encoded size; a single record beyond
/// <see cref="MaxRecordBytes"/> can never be stored and is left out (the caller reports it). Stateless, thread-safe.
/// </summary>
internal static class OutputChunks
{
    /// <summary>Most estimated bytes per appended batch.</summary>
    public const long MaxChunkBytes = 8 << 20;

    /// <summary>Largest output record kept: the log's batch limit (64 MiB) less room for the batch's own header and
    /// the headers the runtime adds.</summary>
    public const long MaxRecordBytes = 60 << 20;

    /// <summary>An upper estimate of a record's encoded size (lengths and varints counted at their widest).</summary>
    public static long SizeOf(LogRecord record)
    {
        long n = 32 + record.Value.Length + (record.Key?.Length ?? 0);
        foreach (var h in record.Headers)
        {
            n += 10 + System.Text.Encoding.UTF8.GetByteCount(h.Name) + h.Value.Length;
        }
        return n;
    }

    /// <summary>Consecutive runs of <paramref name="records"/>, in order, each within <see cref="MaxChunkBytes"/>
    /// (a larger record alone), plus <paramref name="reserve"/> bytes for the headers added to a run's last record.</summary>
    public static List<List<LogRecord>> Split(List<LogRecord> records, long reserve)
    {
        var chunks = new List<List<LogRecord>>();
        var current = new List<LogRecord>();
        long bytes = reserve;
        foreach (var r in records)
        {
            var size = SizeOf(r);
            if (current.Count > 0 && bytes + size > MaxChunkBytes)
            {
                chunks.Add(current);
                current = [];
                bytes = reserve;
            }
            current.Add(r);
            bytes += size;
        }
        if (current.Count > 0)
        {
            chunks.Add(current);
        }
        return chunks;
    }
}

using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using EdgeStream.Forwarding;
using EdgeStream.Log;

namespace EdgeStream.Sinks.Http;

/// <summary>
/// Encodes a batch as JSON lines, one object per record:
/// <c>{"id","topic","partition","offset","timestamp","key","value","headers":[{"name","value"}]}</c> where key, value
/// and header values are base64 (payloads are opaque bytes). Optionally gzip-compressed (fastest level). Thread-safe.
/// </summary>
/// <remarks>
/// This is most of the HTTP sink's CPU cost per record, so it avoids per-record work that the output does not need:
/// the whole batch is written as JSON into a reused buffer and compressed in one call (writing each line into the gzip
/// stream cost a deflate call per line and compressed worse), property names are pre-encoded, and a record id is
/// formatted as UTF-8 from the batch's id prefix instead of as a new string per record. The scratch buffers are shared
/// by all threads (at most one per core is kept: encoding never waits, so no more run at once) and kept only up to
/// <see cref="MaxRetainedBytes"/>, so one huge batch does not pin memory. Kept per thread instead, every thread-pool
/// thread that ever encoded a batch held a set.
/// </remarks>
internal static class JsonLinesBody
{
    /// <summary>Largest scratch buffer kept between batches; bigger ones are dropped after use.</summary>
    internal const int MaxRetainedBytes = 1 << 20;

    private static readonly Stack<Scratch> Spare = new();

    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText TopicName = JsonEncodedText.Encode("topic");
    private static readonly JsonEncodedText PartitionName = JsonEncodedText.Encode("partition");
    private static readonly JsonEncodedText OffsetName = JsonEncodedText.Encode("offset");
    private static readonly JsonEncodedText TimestampName = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText KeyName = JsonEncodedText.Encode("key");
    private static readonly JsonEncodedText ValueName = JsonEncodedText.Encode("value");
    private static readonly JsonEncodedText HeadersName = JsonEncodedText.Encode("headers");
    private static readonly JsonEncodedText NameName = JsonEncodedText.Encode("name");

    public static byte[] Encode(SinkBatch batch, bool gzip)
    {
        Scratch? scratch;
        lock (Spare)
        {
            Spare.TryPop(out scratch);
        }
        scratch ??= new Scratch();
        try
        {
            WriteLines(batch, scratch);
            if (!gzip)
            {
                return scratch.Json.WrittenSpan.ToArray();
            }
            var compressed = scratch.Compressed;
            compressed.SetLength(0);
            using (var zip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                zip.Write(scratch.Json.WrittenSpan);
            }
            return compressed.ToArray();
        }
        finally
        {
            if (scratch.Json.Capacity <= MaxRetainedBytes && scratch.Compressed.Capacity <= MaxRetainedBytes)
            {
                lock (Spare)
                {
                    if (Spare.Count < Environment.ProcessorCount)
                    {
                        Spare.Push(scratch);
                    }
                }
            }
        }
    }

    private static void WriteLines(SinkBatch batch, Scratch scratch)
    {
        var output = scratch.Json;
        output.ResetWrittenCount();
        var json = scratch.Writer;
        var topic = JsonEncodedText.Encode(batch.Topic);
        // Ids are "{nodeId}/{topic}/{partition}/{offset}": the prefix is the same for the whole batch.
        var prefix = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{batch.NodeId}/{batch.Topic}/{batch.Partition}/"));
        // Room for the prefix and any long's digits.
        Span<byte> id = prefix.Length <= 256 ? stackalloc byte[prefix.Length + 20] : new byte[prefix.Length + 20];
        prefix.CopyTo(id);
        foreach (var r in batch.Records)
        {
            json.Reset(output);
            json.WriteStartObject();
            if (r.Partition == batch.Partition && string.Equals(r.Topic, batch.Topic, StringComparison.Ordinal))
            {
                Utf8Formatter.TryFormat(r.Offset, id[prefix.Length..], out var digits);
                json.WriteString(IdName, id[..(prefix.Length + digits)]);
                json.WriteString(TopicName, topic);
            }
            else
            {
                // Not produced by the engine (a batch is one partition's records), but the id must stay the record's own.
                json.WriteString(IdName, batch.IdOf(r));
                json.WriteString(TopicName, r.Topic);
            }
            json.WriteNumber(PartitionName, r.Partition);
            json.WriteNumber(OffsetName, r.Offset);
            json.WriteString(TimestampName, r.Timestamp);
            if (r.Key is { } key)
            {
                json.WriteBase64String(KeyName, key.Span);
            }
            else
            {
                json.WriteNull(KeyName);
            }
            json.WriteBase64String(ValueName, r.Value.Span);
            WriteHeaders(json, r);
            json.WriteEndObject();
            json.Flush();
            output.Write("\n"u8);
        }
    }

    private static void WriteHeaders(Utf8JsonWriter json, StoredRecord r)
    {
        json.WriteStartArray(HeadersName);
        foreach (var h in r.Headers)
        {
            json.WriteStartObject();
            json.WriteString(NameName, h.Name);
            json.WriteBase64String(ValueName, h.Value.Span);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>Reusable buffers of one encoding: the JSON text, its writer, and the gzip output.</summary>
    private sealed class Scratch
    {
        public ArrayBufferWriter<byte> Json { get; } = new(64 * 1024);

        public Utf8JsonWriter Writer { get; }

        public MemoryStream Compressed { get; } = new();

        public Scratch() => Writer = new Utf8JsonWriter(Json);
    }
}

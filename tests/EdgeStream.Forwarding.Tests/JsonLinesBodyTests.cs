using System.IO.Compression;
using System.Text;
using System.Text.Json;
using EdgeStream.Log;
using EdgeStream.Sinks.Http;

namespace EdgeStream.Forwarding.Tests;

/// <summary>The HTTP sink's body, decoded the way an upstream would: gunzip, one JSON object per line.</summary>
public sealed class JsonLinesBodyTests
{
    private static readonly DateTimeOffset Time = new(2026, 11, 30, 6, 0, 0, 123, TimeSpan.Zero);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_record_is_one_line_with_its_id_metadata_and_base64_key_value_and_headers(bool gzip)
    {
        // A node id that JSON must escape, so the id written from the batch's UTF-8 prefix is checked too.
        var batch = new SinkBatch("pi \"17\" <é>", "plant.line-1", 3,
        [
            Record(41, key: null, value: "first"u8.ToArray(), []),
            Record(42, key: "k\n"u8.ToArray(), value: [0, 1, 2, 255], [new RecordHeader("mqtt.topic", "a/b"u8.ToArray()), new RecordHeader("h\"x", Array.Empty<byte>())]),
            Record(9_223_372_036_854_775_806, key: [], value: [], []),
        ]);

        var lines = Decode(JsonLinesBody.Encode(batch, gzip));

        Assert.Equal(3, lines.Count);
        for (var i = 0; i < 3; i++)
        {
            var r = batch.Records[i];
            var line = lines[i].RootElement;
            Assert.Equal($"pi \"17\" <é>/plant.line-1/3/{r.Offset}", line.GetProperty("id").GetString());
            Assert.Equal("plant.line-1", line.GetProperty("topic").GetString());
            Assert.Equal(3, line.GetProperty("partition").GetInt32());
            Assert.Equal(r.Offset, line.GetProperty("offset").GetInt64());
            Assert.Equal(Time, line.GetProperty("timestamp").GetDateTimeOffset());
            if (r.Key is { } key)
            {
                Assert.Equal(key.ToArray(), line.GetProperty("key").GetBytesFromBase64());
            }
            else
            {
                Assert.Equal(JsonValueKind.Null, line.GetProperty("key").ValueKind);
            }
            Assert.Equal(r.Value.ToArray(), line.GetProperty("value").GetBytesFromBase64());
            var headers = line.GetProperty("headers").EnumerateArray().ToList();
            Assert.Equal(r.Headers.Count, headers.Count);
            for (var h = 0; h < headers.Count; h++)
            {
                Assert.Equal(r.Headers[h].Name, headers[h].GetProperty("name").GetString());
                Assert.Equal(r.Headers[h].Value.ToArray(), headers[h].GetProperty("value").GetBytesFromBase64());
            }
        }
    }

    [Fact]
    public void Batches_encoded_one_after_another_on_a_thread_do_not_share_content()
    {
        // The encoder reuses a per-thread buffer: a big batch (beyond what it keeps) then small ones must each stand alone.
        var big = new SinkBatch("n", "t", 0, [.. Enumerable.Range(0, 3000).Select(i => new StoredRecord("t", 0, i, Time, null, new byte[600], []))]);
        var small = new SinkBatch("n", "t", 0, [new StoredRecord("t", 0, 7, Time, null, "x"u8.ToArray(), [])]);

        var first = Decode(JsonLinesBody.Encode(big, gzip: true));
        var second = Decode(JsonLinesBody.Encode(small, gzip: true));
        var third = Decode(JsonLinesBody.Encode(small, gzip: false));

        Assert.Equal(3000, first.Count);
        Assert.Equal("n/t/0/2999", first[^1].RootElement.GetProperty("id").GetString());
        Assert.Equal("n/t/0/7", Assert.Single(second).RootElement.GetProperty("id").GetString());
        Assert.Equal("n/t/0/7", Assert.Single(third).RootElement.GetProperty("id").GetString());
    }

    private static StoredRecord Record(long offset, byte[]? key, byte[] value, RecordHeader[] headers)
        => new("plant.line-1", 3, offset, Time, key, value, headers);

    private static List<JsonDocument> Decode(byte[] body)
    {
        var bytes = body;
        if (body is [0x1f, 0x8b, ..])
        {
            using var zip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            zip.CopyTo(plain);
            bytes = plain.ToArray();
        }
        var text = Encoding.UTF8.GetString(bytes);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        return [.. text[..^1].Split('\n').Select(line => JsonDocument.Parse(line))];
    }
}

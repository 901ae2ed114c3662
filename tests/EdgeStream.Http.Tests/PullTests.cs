using System.Net;
using System.Text;
using System.Text.Json;
using EdgeStream.Http.Tests.Infrastructure;
using EdgeStream.Log;

namespace EdgeStream.Http.Tests;

public sealed class PullTests
{
    [Fact]
    public async Task Topics_lists_partitions_with_offsets_and_sizes()
    {
        await using var server = await AdminServer.StartAsync(log: o => o.Defaults.Partitions = 2);
        await server.AppendAsync("alpha", 3, partition: 1);

        using var json = JsonDocument.Parse(await server.Client.GetStringAsync("/api/v1/topics"));

        var topic = Assert.Single(json.RootElement.GetProperty("topics").EnumerateArray());
        Assert.Equal("alpha", topic.GetProperty("name").GetString());
        var partitions = topic.GetProperty("partitions").EnumerateArray().ToList();
        Assert.Equal(2, partitions.Count);
        Assert.Equal(0, partitions[1].GetProperty("startOffset").GetInt64());
        Assert.Equal(3, partitions[1].GetProperty("nextOffset").GetInt64());
        Assert.Equal(3, partitions[1].GetProperty("durableOffset").GetInt64());
        Assert.True(partitions[1].GetProperty("sizeBytes").GetInt64() > 0);
        Assert.Equal(0, partitions[0].GetProperty("nextOffset").GetInt64());
    }

    [Fact]
    public async Task Records_are_json_lines_in_exactly_the_record_json_shape_with_the_next_offset_header()
    {
        await using var server = await AdminServer.StartAsync();
        server.Store.EnsureTopic("t");
        var appended = await server.Store.AppendBatchAsync("t", 0,
        [
            new LogRecord("{\"a\":1}"u8.ToArray(), "k1"u8.ToArray(), headers: [new RecordHeader("h", "v"u8.ToArray())]),
            new LogRecord(new byte[] { 0xff, 0x00 }),
            new LogRecord("third"u8.ToArray()),
        ]);
        await server.Store.WaitForDurableAsync("t", 0, appended.LastOffset);

        using var response = await server.Client.GetAsync("/api/v1/topics/t/partitions/0/records?offset=1&maxRecords=10");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("3", response.Headers.GetValues("X-EdgeStream-Next-Offset").Single());
        var expected = new StringBuilder();
        foreach (var record in server.Store.Read("t", 0, 1, ReadLimits.Default).Records)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, RecordJson.WriterOptions))
            {
                RecordJson.Write(writer, record);
            }
            expected.Append(Encoding.UTF8.GetString(buffer.ToArray())).Append('\n');
        }
        Assert.Equal(expected.ToString(), body);
        Assert.Contains("\"valueEncoding\":\"base64\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxRecords_bounds_a_read_and_the_header_says_where_to_continue()
    {
        await using var server = await AdminServer.StartAsync();
        await server.AppendAsync("t", 5);

        using var response = await server.Client.GetAsync("/api/v1/topics/t/partitions/0/records?offset=0&maxRecords=2");
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(2, lines.Length);
        Assert.Equal("2", response.Headers.GetValues("X-EdgeStream-Next-Offset").Single());
    }

    [Fact]
    public async Task A_long_poll_answers_with_the_record_appended_while_it_waits()
    {
        await using var server = await AdminServer.StartAsync();
        server.Store.EnsureTopic("poll");

        var poll = server.Client.GetAsync("/api/v1/topics/poll/partitions/0/records?offset=0&waitMs=30000");
        await server.AppendAsync("poll", 1);
        using var response = await poll;

        var line = Assert.Single((await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(line);
        Assert.Equal(0, json.RootElement.GetProperty("offset").GetInt64());
        Assert.Equal("1", response.Headers.GetValues("X-EdgeStream-Next-Offset").Single());
    }

    [Fact]
    public async Task A_long_poll_with_nothing_arriving_answers_empty_at_the_deadline()
    {
        await using var server = await AdminServer.StartAsync();
        await server.AppendAsync("quiet", 2);

        using var response = await server.Client.GetAsync("/api/v1/topics/quiet/partitions/0/records?offset=2&waitMs=50");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        Assert.Equal("2", response.Headers.GetValues("X-EdgeStream-Next-Offset").Single());
    }

    [Theory]
    [InlineData("/api/v1/topics/missing/partitions/0/records", HttpStatusCode.NotFound)]
    [InlineData("/api/v1/topics/t/partitions/1/records", HttpStatusCode.NotFound)]
    [InlineData("/api/v1/topics/t/partitions/x/records", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/topics/t/partitions/0/records?offset=-1", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/topics/t/partitions/0/records?maxBytes=abc", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/topics/b%40d/partitions/0/records", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/topics/missing", HttpStatusCode.NotFound)]
    public async Task Bad_pull_requests_are_answered_with_problems(string path, HttpStatusCode expected)
    {
        await using var server = await AdminServer.StartAsync();
        server.Store.EnsureTopic("t");

        using var response = await server.Client.GetAsync(path);

        Assert.Equal(expected, response.StatusCode);
        Assert.NotEmpty(await IngestTests.ProblemDetail(response));
    }

    [Fact]
    public async Task The_pull_api_requires_the_token_when_one_is_configured()
    {
        await using var server = await AdminServer.StartAsync(new() { ["Http:Token"] = "s3cret" });

        using var anonymous = await server.Client.GetAsync("/api/v1/topics");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/topics");
        request.Headers.Authorization = new("Bearer", "s3cret");
        using var authorized = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
    }
}

using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json;
using EdgeStream.Http.Tests.Infrastructure;
using EdgeStream.Log;
using EdgeStream.Log.Ingest;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeStream.Http.Tests;

public sealed class IngestTests
{
    [Fact]
    public async Task Http_ingest_appends_through_its_writer_and_is_counted_under_source_http()
    {
        await using var server = await AdminServer.StartAsync();
        var ingest = server.Services.GetRequiredService<LogIngest>();
        var records = 0L;
        var bytes = 0L;
        var durableWaits = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == ingest.Meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (tags.ToArray().Contains(new KeyValuePair<string, object?>("source", "http")))
            {
                Interlocked.Add(ref instrument.Name == "edgestream.ingest.records" ? ref records : ref bytes, value);
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
        {
            if (instrument.Name == "edgestream.ingest.durable.wait.duration" && tags.ToArray().Contains(new KeyValuePair<string, object?>("source", "http")))
            {
                Interlocked.Increment(ref durableWaits);
            }
        });
        listener.Start();

        using var response = await server.PostAsync("counted", """[{"value": "abc", "key": "k1"}, {"value": "defg"}]""", "application/json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, Interlocked.Read(ref records));
        Assert.Equal(2 + 3 + 4, Interlocked.Read(ref bytes));
        Assert.True(Volatile.Read(ref durableWaits) >= 1, "the answer waited for durability through the writer");
    }

    [Fact]
    public async Task A_json_array_is_stored_durably_and_answered_with_offsets_in_request_order()
    {
        await using var server = await AdminServer.StartAsync();
        const string body = """
            [{"value": {"t": 21.5}, "key": "dev-1", "headers": {"unit": "C"}, "timestamp": "2026-01-02T03:04:05.678Z"},
             {"value": "plain text"},
             {"value": "AAEC", "valueEncoding": "base64", "timestamp": 1767323045678}]
            """;

        using var response = await server.PostAsync("sensors", body, "application/json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(3, json.RootElement.GetProperty("count").GetInt32());
        var positions = json.RootElement.GetProperty("records").EnumerateArray()
            .Select(r => (r.GetProperty("partition").GetInt32(), r.GetProperty("offset").GetInt64())).ToList();
        // Acknowledged means durable: every answered offset is below the durable end and readable.
        var read = server.Store.Read("sensors", 0, 0, ReadLimits.Default);
        Assert.Equal([(0, 0L), (0, 1L), (0, 2L)], positions);
        Assert.Equal(3, read.Records.Count);
        Assert.Equal("{\"t\": 21.5}", Encoding.UTF8.GetString(read.Records[0].Value.Span));
        Assert.Equal("dev-1", Encoding.UTF8.GetString(read.Records[0].Key!.Value.Span));
        Assert.Equal("C", Encoding.UTF8.GetString(read.Records[0].GetHeader("unit")!.Value.Span));
        Assert.Equal(DateTimeOffset.Parse("2026-01-02T03:04:05.678Z", System.Globalization.CultureInfo.InvariantCulture), read.Records[0].Timestamp);
        Assert.Equal("plain text", Encoding.UTF8.GetString(read.Records[1].Value.Span));
        Assert.Null(read.Records[1].Key);
        Assert.Equal(new byte[] { 0, 1, 2 }, read.Records[2].Value.ToArray());
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1767323045678), read.Records[2].Timestamp);
    }

    [Fact]
    public async Task Json_lines_are_stored_one_record_per_line()
    {
        await using var server = await AdminServer.StartAsync();

        using var response = await server.PostAsync("lines", "{\"value\":1}\n\n{\"value\":2}\r\n{\"value\":3}", "application/x-ndjson");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var read = server.Store.Read("lines", 0, 0, ReadLimits.Default);
        Assert.Equal(["1", "2", "3"], read.Records.Select(r => Encoding.UTF8.GetString(r.Value.Span)));
    }

    [Fact]
    public async Task A_bad_json_line_is_rejected_naming_the_line_and_nothing_is_stored()
    {
        await using var server = await AdminServer.StartAsync();

        using var response = await server.PostAsync("lines", "{\"value\":1}\n{\"value\":2}\n{\"value\": oops}\n", "application/x-ndjson");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("line 3", await ProblemDetail(response), StringComparison.Ordinal);
        Assert.Null(server.Store.GetTopic("lines"));
    }

    [Fact]
    public async Task A_record_with_an_unknown_property_is_rejected_naming_it()
    {
        await using var server = await AdminServer.StartAsync();

        using var response = await server.PostAsync("t", "[{\"value\":1},{\"valu\":2}]", "application/json");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = await ProblemDetail(response);
        Assert.Contains("record 1", detail, StringComparison.Ordinal);
        Assert.Contains("\"valu\"", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_raw_body_is_one_record_keyed_by_the_header()
    {
        await using var server = await AdminServer.StartAsync(log: o => o.Defaults.Partitions = 4);

        using var response = await server.PostAsync("raw", "21.5;22.0", "text/plain", key: "dev-7");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expected = server.Store.PartitionFor("raw", "dev-7"u8);
        var read = server.Store.Read("raw", expected, 0, ReadLimits.Default);
        var record = Assert.Single(read.Records);
        Assert.Equal("21.5;22.0", Encoding.UTF8.GetString(record.Value.Span));
        Assert.Equal("dev-7", Encoding.UTF8.GetString(record.Key!.Value.Span));
        Assert.StartsWith("text/plain", Encoding.UTF8.GetString(record.GetHeader("content-type")!.Value.Span), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bad%24name", "bad$name", "character outside")]
    [InlineData("telemetry.dlq", "telemetry.dlq", "ends in .dlq")] // dead letters are forwarding's alone
    public async Task An_invalid_topic_name_is_400_and_stores_nothing(string path, string topic, string reason)
    {
        await using var server = await AdminServer.StartAsync();

        using var response = await server.PostAsync(path, "x", "text/plain");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = await ProblemDetail(response);
        Assert.Contains("Invalid topic name", detail, StringComparison.Ordinal);
        Assert.Contains(reason, detail, StringComparison.Ordinal);
        Assert.Null(server.Store.GetTopic(topic));
    }

    [Fact]
    public async Task Ingest_into_a_new_topic_beyond_MaxTopics_is_507_and_stores_nothing()
    {
        await using var server = await AdminServer.StartAsync(log: o => o.MaxTopics = 1);
        (await server.PostAsync("first", "x", "text/plain")).EnsureSuccessStatusCode();

        using var response = await server.PostAsync("second", "x", "text/plain");

        Assert.Equal(HttpStatusCode.InsufficientStorage, response.StatusCode);
        Assert.Contains("Log:MaxTopics (1)", await ProblemDetail(response), StringComparison.Ordinal);
        Assert.Null(server.Store.GetTopic("second"));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413()
    {
        await using var server = await AdminServer.StartAsync(new() { ["Http:MaxBodyBytes"] = "100" });

        using var response = await server.PostAsync("big", new string('x', 101), "text/plain");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Null(server.Store.GetTopic("big"));
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_413()
    {
        await using var server = await AdminServer.StartAsync(new() { ["Http:MaxBodyBytes"] = "1000" });
        using var content = new StreamContent(new MemoryStream(new byte[5000]));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/topics/big/records") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task A_full_disk_budget_is_507()
    {
        await using var server = await AdminServer.StartAsync(log: o => o.MaxDiskBytes = 1024);

        using var response = await server.PostAsync("full", new string('x', 4096), "application/octet-stream");

        Assert.Equal((HttpStatusCode)507, response.StatusCode);
        Assert.Contains("Log full", await ProblemDetail(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_token_configured_a_missing_token_is_401_and_a_wrong_one_403()
    {
        await using var server = await AdminServer.StartAsync(new() { ["Http:Token"] = "s3cret" });

        using var missing = await server.PostAsync("t", "x", "text/plain");
        using var wrong = await server.PostAsync("t", "x", "text/plain", token: "guess");
        using var right = await server.PostAsync("t", "x", "text/plain", token: "s3cret");

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(1, server.Store.GetTopic("t")!.Partitions[0].NextOffset);
    }

    [Fact]
    public async Task A_request_spread_over_partitions_answers_per_record_results_when_one_partition_refuses_its_share()
    {
        // The disk budget fits the small record's batch but not the large one's: the first partition stores, the second refuses.
        await using var server = await AdminServer.StartAsync(log: o =>
        {
            o.MaxDiskBytes = 2048;
            o.Topics["spread"] = new TopicSettings { Partitions = 2 };
        });
        server.Store.EnsureTopic("spread");
        var keys = Enumerable.Range(0, 64).Select(i => $"k{i}").ToList();
        var first = keys.First(k => server.Store.PartitionFor("spread", Encoding.UTF8.GetBytes(k)) == 0);
        var second = keys.First(k => server.Store.PartitionFor("spread", Encoding.UTF8.GetBytes(k)) == 1);
        var body = $"{{\"key\":\"{first}\",\"value\":\"small\"}}\n{{\"key\":\"{second}\",\"value\":\"{new string('x', 4096)}\"}}\n";

        using var response = await server.PostAsync("spread", body, "application/x-ndjson");

        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(1, json.RootElement.GetProperty("stored").GetInt32());
        Assert.Equal(1, json.RootElement.GetProperty("failed").GetInt32());
        var records = json.RootElement.GetProperty("records");
        Assert.Equal(0, records[0].GetProperty("partition").GetInt32());
        Assert.Equal(0, records[0].GetProperty("offset").GetInt64());
        Assert.False(records[0].TryGetProperty("error", out _));
        Assert.Equal(1, records[1].GetProperty("partition").GetInt32());
        Assert.False(records[1].TryGetProperty("offset", out _));
        Assert.Equal(507, records[1].GetProperty("status").GetInt32());
        Assert.Contains("Log full", records[1].GetProperty("error").GetString(), StringComparison.Ordinal);
        // What the answer says is stored is durable and readable; the refused record is nowhere.
        var stored = server.Store.Read("spread", 0, 0, ReadLimits.Default);
        Assert.Equal(["small"], stored.Records.Select(r => Encoding.UTF8.GetString(r.Value.Span)));
        Assert.Equal(0, server.Store.GetTopic("spread")!.Partitions[1].NextOffset);
    }

    [Fact]
    public async Task An_unknown_topic_is_404_when_auto_create_is_off()
    {
        await using var server = await AdminServer.StartAsync(log: o => o.AutoCreateTopics = false);

        using var response = await server.PostAsync("nope", "x", "text/plain");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    internal static async Task<string> ProblemDetail(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("detail").GetString()!;
    }
}

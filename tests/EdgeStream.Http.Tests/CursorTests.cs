using System.Net;
using System.Text;
using System.Text.Json;
using EdgeStream.Http.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeStream.Http.Tests;

public sealed class CursorTests
{
    [Fact]
    public async Task Put_with_a_query_offset_commits_the_cursor_durably()
    {
        await using var server = await AdminServer.StartAsync();
        await server.AppendAsync("t", 5);

        using var response = await server.Client.PutAsync("/api/v1/cursors/sync-job/t/0?offset=3", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, server.Store.GetCursor("sync-job", "t", 0));
        using var json = JsonDocument.Parse(await server.Client.GetStringAsync("/api/v1/cursors/sync-job/t/0"));
        Assert.Equal(3, json.RootElement.GetProperty("nextOffset").GetInt64());
    }

    [Fact]
    public async Task A_cursor_named_like_a_configured_sink_cannot_be_moved_over_http()
    {
        await using var server = await AdminServer.StartAsync(services: s => s.AddEdgeStreamSinkCursors(_ => ["kafka-cloud"]));
        await server.AppendAsync("t", 5);
        await server.Store.CommitCursorAsync("kafka-cloud", "t", 0, 2);

        using var refused = await server.Client.PutAsync("/api/v1/cursors/kafka-cloud/t/0?offset=5", null);
        using var other = await server.Client.PutAsync("/api/v1/cursors/sync-job/t/0?offset=5", null);

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("configured sink", await IngestTests.ProblemDetail(refused), StringComparison.Ordinal);
        Assert.Equal(2, server.Store.GetCursor("kafka-cloud", "t", 0));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        // Reading the sink's cursor stays allowed.
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/api/v1/cursors/kafka-cloud/t/0")).StatusCode);
    }

    [Theory]
    [InlineData("4", "text/plain")]
    [InlineData("{\"nextOffset\": 4}", "application/json")]
    public async Task Put_takes_the_offset_from_the_body(string body, string contentType)
    {
        await using var server = await AdminServer.StartAsync();
        await server.AppendAsync("t", 5);

        using var response = await server.Client.PutAsync("/api/v1/cursors/job/t/0", new StringContent(body, Encoding.UTF8, contentType));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4, server.Store.GetCursor("job", "t", 0));
    }

    [Theory]
    [InlineData("/api/v1/cursors/job/t/0?offset=6", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/cursors/job/t/0", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/cursors/b%40d/t/0?offset=1", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/cursors/job/missing/0?offset=1", HttpStatusCode.NotFound)]
    [InlineData("/api/v1/cursors/job/t/3?offset=1", HttpStatusCode.NotFound)]
    public async Task Bad_cursor_commits_are_refused_and_nothing_is_committed(string path, HttpStatusCode expected)
    {
        await using var server = await AdminServer.StartAsync();
        await server.AppendAsync("t", 5);

        using var response = await server.Client.PutAsync(path, null);

        Assert.Equal(expected, response.StatusCode);
        Assert.Empty(server.Store.GetCursors());
    }

    [Fact]
    public async Task A_cursor_that_never_committed_is_404_and_the_list_shows_lag()
    {
        await using var server = await AdminServer.StartAsync();
        await server.AppendAsync("t", 5);
        await server.Store.CommitCursorAsync("kafka", "t", 0, 2);

        using var missing = await server.Client.GetAsync("/api/v1/cursors/other/t/0");
        using var json = JsonDocument.Parse(await server.Client.GetStringAsync("/api/v1/cursors"));

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var cursor = Assert.Single(json.RootElement.GetProperty("cursors").EnumerateArray());
        Assert.Equal("kafka", cursor.GetProperty("name").GetString());
        Assert.Equal(3, cursor.GetProperty("lagRecords").GetInt64());
    }

    [Fact]
    public async Task Delete_removes_a_cursor_durably_and_a_second_delete_is_404()
    {
        await using var server = await AdminServer.StartAsync();
        await server.AppendAsync("t", 5);
        await server.Store.CommitCursorAsync("one-off", "t", 0, 2);
        await server.Store.CommitCursorAsync("kept", "t", 0, 4);

        using var deleted = await server.Client.DeleteAsync("/api/v1/cursors/one-off/t/0");
        using var again = await server.Client.DeleteAsync("/api/v1/cursors/one-off/t/0");
        using var bad = await server.Client.DeleteAsync("/api/v1/cursors/b%40d/t/0");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Null(server.Store.GetCursor("one-off", "t", 0));
        Assert.Equal(["kept"], server.Store.GetCursors().Select(c => c.Name));
    }
}

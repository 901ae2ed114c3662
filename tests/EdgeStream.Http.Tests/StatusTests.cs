using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeStream.Http.Status;
using EdgeStream.Log;
using EdgeStream.Http.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeStream.Http.Tests;

public sealed class StatusTests
{
    private enum LinkState { Connected, Backoff }

    private sealed record FakeSink(string Name, LinkState State, long Lag);

    private sealed class SensorsContributor : IStatusContributor
    {
        public string Name => "sensors";

        public object? GetStatus() => new JsonArray(new JsonObject { ["name"] = "bme280", ["lastReading"] = 21.5 });
    }

    private sealed class BrokenContributor : IStatusContributor
    {
        public string Name => "broken";

        public object? GetStatus() => throw new InvalidOperationException("sensor bus gone");
    }

    [Fact]
    public async Task Status_shows_topics_cursors_with_lag_and_every_contributed_section()
    {
        await using var server = await AdminServer.StartAsync(services: s =>
        {
            s.AddSingleton<IStatusContributor, SensorsContributor>();
            s.AddSingleton<IStatusContributor, BrokenContributor>();
            s.AddEdgeStreamStatus("sinks", _ => new[] { new FakeSink("cloud", LinkState.Backoff, 4) });
        });
        await server.AppendAsync("telemetry", 6);
        await server.Store.CommitCursorAsync("cloud", "telemetry", 0, 2);

        using var json = JsonDocument.Parse(await server.Client.GetStringAsync("/api/status"));
        var root = json.RootElement;

        var topic = Assert.Single(root.GetProperty("topics").EnumerateArray());
        Assert.Equal("telemetry", topic.GetProperty("name").GetString());
        Assert.Equal(6, topic.GetProperty("partitions")[0].GetProperty("nextOffset").GetInt64());
        var cursor = Assert.Single(root.GetProperty("cursors").EnumerateArray());
        Assert.Equal(4, cursor.GetProperty("lagRecords").GetInt64());
        Assert.Equal("bme280", root.GetProperty("sensors")[0].GetProperty("name").GetString());
        Assert.Equal("Backoff", root.GetProperty("sinks")[0].GetProperty("state").GetString());
        Assert.Equal("sensor bus gone", root.GetProperty("broken").GetProperty("error").GetString());
    }

    [Fact]
    public async Task Status_lists_the_damaged_ranges_readers_skip()
    {
        await using var server = await AdminServer.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await server.AppendAsync("rot", 5);
        }
        await server.Store.FlushAsync(TestContext.Current.CancellationToken);
        var segment = System.IO.Directory.GetFiles(Path.Combine(server.Directory, "data", "topics", "rot", "0"), "*.log").Single();
        var bytes = await File.ReadAllBytesAsync(segment, TestContext.Current.CancellationToken);
        // Byte 50 is inside the first batch's CRC-covered records section.
        bytes[50] ^= 0x01;
        await File.WriteAllBytesAsync(segment, bytes, TestContext.Current.CancellationToken);
        var read = server.Store.Read("rot", 0, 0, ReadLimits.Default);
        Assert.NotEmpty(read.Records);

        using var json = JsonDocument.Parse(await server.Client.GetStringAsync("/api/status", TestContext.Current.CancellationToken));

        var damage = Assert.Single(json.RootElement.GetProperty("corruption").EnumerateArray());
        Assert.Equal("rot", damage.GetProperty("topic").GetString());
        Assert.False(damage.GetProperty("parked").GetBoolean());
        var range = Assert.Single(damage.GetProperty("ranges").EnumerateArray());
        Assert.Equal(0, range.GetProperty("firstOffset").GetInt64());
        Assert.Equal(read.Records[0].Offset, range.GetProperty("endOffset").GetInt64());
        Assert.Equal(segment, range.GetProperty("segment").GetString());
    }

    [Fact]
    public async Task A_contributor_using_a_reserved_name_is_left_out()
    {
        await using var server = await AdminServer.StartAsync(services: s => s.AddEdgeStreamStatus("topics", _ => "hijack"));

        using var json = JsonDocument.Parse(await server.Client.GetStringAsync("/api/status"));

        Assert.Equal(JsonValueKind.Array, json.RootElement.GetProperty("topics").ValueKind);
    }
}

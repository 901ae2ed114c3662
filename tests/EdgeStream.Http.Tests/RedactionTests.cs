using System.Text.Json;
using EdgeStream.Http.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeStream.Http.Tests;

public sealed class RedactionTests
{
    [Fact]
    public async Task Status_masks_uri_credentials_secret_pairs_bearer_tokens_and_secret_named_settings()
    {
        await using var server = await AdminServer.StartAsync(services: s => s.AddEdgeStreamStatus("sinks", _ => new[]
        {
            new
            {
                name = "cloud",
                lastError = "SinkRetryAfterException: POST http://edge:pa55word@up.example/ingest for b-1: 500; "
                    + "kafka://k.example:9092?sasl.password=hunter22x&acks=all; sent Authorization: Bearer abc.def.ghi",
                settings = new Dictionary<string, string> { ["Password"] = "pw-in-settings", ["Url"] = "https://u:p4ssw@h.example/x", ["Topic"] = "plain" },
            },
        }));

        var status = await server.Client.GetStringAsync("/api/status");

        foreach (var secret in new[] { "pa55word", "hunter22x", "abc.def.ghi", "pw-in-settings", "p4ssw" })
        {
            Assert.DoesNotContain(secret, status, StringComparison.Ordinal);
        }
        // Only the credentials go: what an operator needs to find the upstream stays.
        using var json = JsonDocument.Parse(status);
        var sink = json.RootElement.GetProperty("sinks")[0];
        Assert.Equal("SinkRetryAfterException: POST http://***@up.example/ingest for b-1: 500; kafka://k.example:9092?sasl.password=***&acks=all; sent Authorization: Bearer ***",
            sink.GetProperty("lastError").GetString());
        Assert.Equal("***", sink.GetProperty("settings").GetProperty("Password").GetString());
        Assert.Equal("https://***@h.example/x", sink.GetProperty("settings").GetProperty("Url").GetString());
        Assert.Equal("plain", sink.GetProperty("settings").GetProperty("Topic").GetString());
    }

    [Fact]
    public async Task Status_masks_every_registered_secret_and_the_admin_token_wherever_they_appear()
    {
        await using var server = await AdminServer.StartAsync(
            new() { ["Http:Token"] = "admin-token-1" },
            services: s => s
                .AddEdgeStreamSecrets(_ => ["nats-token-77", null, "ab"])
                .AddEdgeStreamStatus("mqtt", _ => new { lastError = "upstream said: token nats-token-77 rejected; echo admin-token-1; ab stays" }));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/status");
        request.Headers.Authorization = new("Bearer", "admin-token-1");

        using var response = await server.Client.SendAsync(request);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("upstream said: token *** rejected; echo ***; ab stays", json.RootElement.GetProperty("mqtt").GetProperty("lastError").GetString());
    }
}

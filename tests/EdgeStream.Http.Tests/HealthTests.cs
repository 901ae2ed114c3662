using System.Net;
using System.Text.Json;
using EdgeStream.Http.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeStream.Http.Tests;

public sealed class HealthTests
{
    [Fact]
    public async Task Healthz_answers_healthy_while_the_process_lives()
    {
        await using var server = await AdminServer.StartAsync();

        using var response = await server.Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_reports_the_log_and_the_listener()
    {
        await using var server = await AdminServer.StartAsync();

        using var response = await server.Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var checks = json.RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("status").GetString());
        Assert.Equal("Healthy", checks["log"]);
        Assert.Equal("Healthy", checks["http"]);
    }

    [Fact]
    public async Task Readyz_is_503_when_a_check_registered_by_another_stage_fails()
    {
        await using var server = await AdminServer.StartAsync(services: s =>
            s.AddHealthChecks().AddCheck("mqtt", () => HealthCheckResult.Unhealthy("listener down")));

        using var ready = await server.Client.GetAsync("/readyz");
        using var live = await server.Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("listener down", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }
}

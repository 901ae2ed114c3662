using System.Net;
using System.Net.Http.Headers;
using System.Text;
using EdgeStream.Http.Tests.Infrastructure;
using EdgeStream.Log;
using Microsoft.Extensions.Options;

namespace EdgeStream.Http.Tests;

public sealed class AuthTests
{
    private const string Token = "s3cret-admin-token";

    [Fact]
    public async Task A_non_loopback_address_without_a_token_refuses_to_start_unless_explicitly_allowed()
    {
        using var directory = new TempDir();
        await using var store = await LogStore.OpenAsync(new LogOptions { DataDirectory = directory.Path });
        // TEST-NET-1: not loopback, and not an address of this machine, so nothing is ever bound by this test.
        using var host = AdminServer.BuildHost(store, new() { ["Http:Address"] = "192.0.2.1", ["Http:Port"] = "8080" }, null);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Http:Token", error.Message, StringComparison.Ordinal);
        Assert.Contains("Http:AllowAnonymousOnNetwork", error.Message, StringComparison.Ordinal);
        var validator = new HttpOptionsValidator();
        Assert.True(validator.Validate(null, new HttpOptions { Address = "0.0.0.0", AllowAnonymousOnNetwork = true }).Succeeded);
        Assert.True(validator.Validate(null, new HttpOptions { Address = "0.0.0.0", Token = Token }).Succeeded);
        Assert.True(validator.Validate(null, new HttpOptions { Address = "0.0.0.0", Port = 0 }).Succeeded);
        Assert.True(validator.Validate(null, new HttpOptions { Address = "::1" }).Succeeded);
    }

    [Theory]
    [InlineData("GET", "/")]
    [InlineData("GET", "/api/status")]
    [InlineData("GET", "/metrics")]
    [InlineData("GET", "/api/v1/topics")]
    [InlineData("GET", "/api/v1/cursors")]
    [InlineData("GET", "/api/v1/topics/t/partitions/0/records?offset=0")]
    [InlineData("PUT", "/api/v1/cursors/job/t/0?offset=1")]
    [InlineData("POST", "/api/v1/topics/t/records")]
    public async Task With_a_token_every_path_but_the_probes_requires_it(string method, string path)
    {
        await using var server = await AdminServer.StartAsync(new() { ["Http:Token"] = Token });
        await server.AppendAsync("t", 2);

        using var anonymous = await server.Client.SendAsync(Request(method, path, null));
        using var authorized = await server.Client.SendAsync(Request(method, path, new AuthenticationHeaderValue("Bearer", Token)));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.True(authorized.IsSuccessStatusCode, $"{method} {path}: {authorized.StatusCode}");
        Assert.Equal(2, server.Store.GetTopic("t")!.Partitions[0].NextOffset + (method == "POST" ? -1 : 0));
    }

    [Fact]
    public async Task With_a_token_the_health_probes_stay_open()
    {
        await using var server = await AdminServer.StartAsync(new() { ["Http:Token"] = Token });

        using var live = await server.Client.GetAsync("/healthz");
        using var ready = await server.Client.GetAsync("/readyz/");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Public_metrics_serves_metrics_without_the_token_and_nothing_else()
    {
        await using var server = await AdminServer.StartAsync(new() { ["Http:Token"] = Token, ["Http:PublicMetrics"] = "true" });

        using var metrics = await server.Client.GetAsync("/metrics");
        using var status = await server.Client.GetAsync("/api/status");

        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, status.StatusCode);
    }

    [Fact]
    public async Task A_browser_is_asked_for_basic_credentials_and_the_token_as_password_opens_page_and_status()
    {
        await using var server = await AdminServer.StartAsync(new() { ["Http:Token"] = Token });
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + Token)));
        var wrong = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:guess")));

        using var challenge = await server.Client.SendAsync(Request("GET", "/", null));
        using var page = await server.Client.SendAsync(Request("GET", "/", basic));
        using var status = await server.Client.SendAsync(Request("GET", "/api/status", basic));
        using var refused = await server.Client.SendAsync(Request("GET", "/api/status", wrong));

        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        Assert.Equal("Basic", challenge.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    private static HttpRequestMessage Request(string method, string path, AuthenticationHeaderValue? auth)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent("{\"value\":1}", Encoding.UTF8, "application/json");
        }
        request.Headers.Authorization = auth;
        return request;
    }
}

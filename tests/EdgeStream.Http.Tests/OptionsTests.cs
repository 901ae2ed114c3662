using EdgeStream.Http.Health;
using EdgeStream.Log;
using EdgeStream.Http.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace EdgeStream.Http.Tests;

public sealed class OptionsTests
{
    [Theory]
    [InlineData("Http:Port", "70000", "Http:Port")]
    [InlineData("Http:Address", "not-an-ip", "Http:Address")]
    [InlineData("Http:MaxBodyBytes", "0", "Http:MaxBodyBytes")]
    [InlineData("Http:Token", "two words", "Http:Token")]
    [InlineData("Http:MaxConnections", "0", "Http:MaxConnections")]
    public async Task A_bad_setting_stops_the_start_naming_the_key(string key, string value, string named)
    {
        using var directory = new TempDir();
        await using var store = await LogStore.OpenAsync(new LogOptions { DataDirectory = directory.Path });
        using var host = AdminServer.BuildHost(store, new() { [key] = value }, null);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_bad_settings_are_both_reported_in_one_start_failure_each_naming_its_key()
    {
        using var directory = new TempDir();
        await using var store = await LogStore.OpenAsync(new LogOptions { DataDirectory = directory.Path });
        using var host = AdminServer.BuildHost(store, new() { ["Http:Port"] = "70000", ["Http:MaxPullWaitMs"] = "-1" }, null);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(2, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.StartsWith("Http:Port: ", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Http:MaxPullWaitMs: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Port_zero_disables_the_server_and_readiness_says_so()
    {
        using var directory = new TempDir();
        await using var store = await LogStore.OpenAsync(new LogOptions { DataDirectory = directory.Path });
        using var host = AdminServer.BuildHost(store, new() { ["Http:Port"] = "0" },
            s => s.Configure<HttpOptions>(o => o.ListenOnFreePort = false));
        await host.StartAsync();
        try
        {
            var state = host.Services.GetRequiredService<AdminListenerState>();
            var check = new AdminListenerHealthCheck(state);
            var result = await check.CheckHealthAsync(new HealthCheckContext());

            Assert.True(state.Disabled);
            Assert.Null(state.Address);
            Assert.Equal(HealthStatus.Healthy, result.Status);
            Assert.Contains("disabled", result.Description, StringComparison.Ordinal);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}

using System.Net.Sockets;
using EdgeStream.Http.Tests.Infrastructure;

namespace EdgeStream.Http.Tests;

/// <summary>A flood of connections to the admin port is bounded by <c>Http:MaxConnections</c>, and the server serves again once they go.</summary>
public sealed class ConnectionLimitTests
{
    [Fact]
    public async Task Connections_beyond_the_limit_are_closed_and_the_server_answers_again_once_the_flood_is_gone()
    {
        await using var server = await AdminServer.StartAsync(new() { ["Http:MaxConnections"] = "3" });
        var flood = new List<TcpClient>();
        try
        {
            // Idle connections that never send a request, as a hostile or broken client leaves them.
            for (var i = 0; i < 3; i++)
            {
                var client = new TcpClient();
                await client.ConnectAsync(server.Address.Host, server.Address.Port);
                flood.Add(client);
            }
            await Poll.UntilAsync(async () =>
            {
                try
                {
                    using var fresh = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(5) };
                    await fresh.GetAsync("healthz");
                    return false;
                }
                catch (HttpRequestException)
                {
                    return true;
                }
            }, TimeSpan.FromSeconds(30), "a request beyond the limit to be refused");
        }
        finally
        {
            flood.ForEach(c => c.Dispose());
        }

        await Poll.UntilAsync(async () =>
        {
            try
            {
                using var fresh = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(5) };
                return (await fresh.GetAsync("healthz")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "the server to answer again");
        var metrics = await server.Client.GetStringAsync("metrics");
        var rejected = metrics.Split('\n').Single(l => l.StartsWith("kestrel_rejected_connections_total{", StringComparison.Ordinal));
        Assert.True(double.Parse(rejected[(rejected.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) >= 1, rejected);
    }
}

using System.Diagnostics;

namespace EdgeStream.FirmwareSim.Tests;

/// <summary>The edgestream-sim program, run as a process.</summary>
[Trait("Category", "Slow")]
public sealed class CliTests
{
    [Theory]
    [InlineData("127.0.0.1:1884", "127.0.0.1", 1884)]
    [InlineData("broker.local", "broker.local", 1883)]
    [InlineData("[::1]:8883", "::1", 8883)]
    public void Broker_address_parses(string text, string host, int port)
    {
        Assert.Equal((host, port), BrokerAddress.Parse(text));
    }

    [Theory]
    [InlineData("127.0.0.1:0")]
    [InlineData(":1883")]
    [InlineData("[::1")]
    public void Bad_broker_address_is_refused(string text)
    {
        Assert.Throws<FormatException>(() => BrokerAddress.Parse(text));
    }

    [Fact]
    public async Task Fleet_and_load_commands_print_their_figures()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var sub = await Subscriber.StartAsync(broker.Port, "devices/#");

        var fleet = await RunAsync("fleet", "--broker", $"127.0.0.1:{broker.Port}", "--devices", "2", "--rate", "20", "--duration", "30",
            "--count", "10", "--qos", "1", "--protocol", "5", "--payload", "binary", "--size", "64");
        var load = await RunAsync("load", "--broker", $"127.0.0.1:{broker.Port}", "--devices", "2", "--inflight", "2", "--duration", "1", "--size", "32");

        Assert.True(fleet.Code == 0, fleet.Output);
        Assert.Contains("generated 20, published 20", fleet.Output, StringComparison.Ordinal);
        Assert.Equal(20, (await sub.WaitForAsync(20)).Count);
        Assert.True(load.Code == 0, load.Output);
        Assert.Contains("connected 2/2", load.Output, StringComparison.Ordinal);
        Assert.Matches(@"\d+ acked msg/s, ack latency p50 [\d.]+ ms, p99 [\d.]+ ms", load.Output);
    }

    [Fact]
    public async Task Invalid_settings_exit_with_code_2_and_one_line()
    {
        var result = await RunAsync("fleet", "--broker", "127.0.0.1:1", "--qos", "2", "--duration", "1");

        Assert.Equal(2, result.Code);
        Assert.Contains("edgestream-sim: Qos must be 0 or 1", result.Output, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "edgestream-sim.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }
}

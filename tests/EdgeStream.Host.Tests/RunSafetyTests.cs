using System.Net;
using System.Net.Sockets;

namespace EdgeStream.Host.Tests;

/// <summary><c>edgestream run</c> refuses unsafe or broken settings with exit code 2 and says why, without leaking credentials.</summary>
[Trait("Category", "Slow")]
public class RunSafetyTests(ShippedHost host) : IClassFixture<ShippedHost>
{
    [Fact]
    public async Task Run_refuses_a_non_loopback_admin_address_without_a_token_with_exit_code_2_naming_the_key()
    {
        var dir = Directory.CreateTempSubdirectory("edgestream-open-admin-");
        try
        {
            // TEST-NET-1 is no address of this machine: even a service that accepted it could not listen there.
            using var service = new RunProcess(host.Executable, new Dictionary<string, string> { ["EDGESTREAM__Http__Address"] = "192.0.2.1" }, null,
                "run", "--data", Path.Combine(dir.FullName, "data"), "--mqtt-port", "0", "--http-port", Ports.Free().ToString());

            var code = await service.WaitAsync(TimeSpan.FromSeconds(60));

            Assert.True(code == 2, $"exit code {code}: {service.Output}");
            Assert.Contains("Http:Token", service.Output, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_bad_sink_uri_is_refused_without_printing_its_password()
    {
        using var service = new RunProcess(host.Executable, new Dictionary<string, string>(), null, "run", "--sink", "ftp://edge:pa55word-7c@upstream.example/x");

        var code = await service.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, code);
        Assert.Contains("ftp://***@upstream.example/x", service.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("pa55word-7c", service.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_settings_in_several_sections_are_all_reported_in_one_start_failure_each_naming_its_key()
    {
        var dir = Directory.CreateTempSubdirectory("edgestream-bad-settings-");
        try
        {
            using var service = new RunProcess(host.Executable, new Dictionary<string, string>
            {
                ["EDGESTREAM__Log__MinFreePercent"] = "99",
                ["EDGESTREAM__Log__Topics__telemetry__Partitions"] = "0",
                ["EDGESTREAM__Http__MaxBodyBytes"] = "0",
                ["EDGESTREAM__shutdownTimeoutSeconds"] = "soon",
            }, null, "run", "--data", Path.Combine(dir.FullName, "data"), "--mqtt-port", "0", "--http-port", "0");

            var code = await service.WaitAsync(TimeSpan.FromSeconds(60));

            Assert.True(code == 2, $"exit code {code}: {service.Output}");
            Assert.Contains("Log:MinFreePercent:", service.Output, StringComparison.Ordinal);
            Assert.Contains("Log:Topics:telemetry:Partitions:", service.Output, StringComparison.Ordinal);
            Assert.Contains("Http:MaxBodyBytes:", service.Output, StringComparison.Ordinal);
            Assert.Contains("shutdownTimeoutSeconds must be", service.Output, StringComparison.Ordinal);
            // Nothing was opened: the log is validated before its directory is created.
            Assert.False(Directory.Exists(Path.Combine(dir.FullName, "data")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("Mqtt__Port", "abc", "Mqtt:Port: 'abc' is not a whole number")] // read while the stages register
    [InlineData("Forwarding__CursorCommitInterval", "soon", "Forwarding:CursorCommitInterval: 'soon' is not a duration")] // read at validation
    [InlineData("Log__Topics__telemetry__Compression", "rar", "Log:Topics:telemetry:Compression: 'rar' is not a CompressionCodec value")]
    public async Task A_setting_of_the_wrong_type_stops_the_start_with_exit_code_2_naming_the_key_not_a_crash(string variable, string value, string message)
    {
        var dir = Directory.CreateTempSubdirectory("edgestream-wrong-type-");
        try
        {
            using var service = new RunProcess(host.Executable, new Dictionary<string, string> { ["EDGESTREAM__" + variable] = value }, null,
                "run", "--data", Path.Combine(dir.FullName, "data"), "--http-port", "0");

            var code = await service.WaitAsync(TimeSpan.FromSeconds(60));

            Assert.True(code == 2, $"exit code {code}: {service.Output}");
            Assert.Contains("edgestream: invalid configuration: " + message, service.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", service.Output, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task An_admin_port_in_use_stops_the_start_with_exit_code_1_and_says_why()
    {
        var dir = Directory.CreateTempSubdirectory("edgestream-port-in-use-");
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            using var service = new RunProcess(host.Executable, new Dictionary<string, string>(), null,
                "run", "--data", Path.Combine(dir.FullName, "data"), "--mqtt-port", "0", "--http-port", ((IPEndPoint)taken.LocalEndpoint).Port.ToString());

            var code = await service.WaitAsync(TimeSpan.FromSeconds(60));

            Assert.True(code == 1, $"exit code {code}: {service.Output}");
            Assert.Contains("EdgeStream could not start", service.Output, StringComparison.Ordinal);
        }
        finally
        {
            taken.Stop();
            dir.Delete(recursive: true);
        }
    }
}

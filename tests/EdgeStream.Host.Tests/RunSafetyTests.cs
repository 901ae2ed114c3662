
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

}

using System.Globalization;
using System.Text;
using EdgeStream.Ingest.Mqtt.Auth;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;

namespace EdgeStream.Ingest.Mqtt.Tests;

/// <summary>The embedded broker with Debian's mosquitto_pub / mosquitto_sub, both protocol versions.</summary>
[Trait("Category", "Slow")]
public sealed class MosquittoClientTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private static string[] Common(int port, string version) => ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-V", version];

    [Theory]
    [InlineData("mqttv5")]
    [InlineData("mqttv311")]
    public async Task Mosquitto_pub_messages_reach_mosquitto_sub_and_the_log(string version)
    {
        Assert.SkipUnless(File.Exists("/usr/bin/mosquitto_pub"), "mosquitto-clients is not installed (test.sh installs it)");
        await using var broker = await TestBroker.StartAsync();
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        broker.Broker.Server.ClientSubscribedTopicAsync += e =>
        {
            subscribed.TrySetResult();
            return Task.CompletedTask;
        };
        // -C 3: exit after three messages; -W: hard time limit so the test is bounded.
        var sub = ExternalProcess.RunAsync("mosquitto_sub", [.. Common(broker.Port, version), "-i", "sub-" + version, "-t", "plant/#", "-q", "1", "-C", "3", "-W", "20", "-v"], Limit);
        await subscribed.Task.WaitAsync(Limit, TestContext.Current.CancellationToken);
        for (var i = 0; i < 3; i++)
        {
            var pub = await ExternalProcess.RunAsync("mosquitto_pub", [.. Common(broker.Port, version), "-i", "pub-" + version, "-t", $"plant/line{i}", "-q", "1", "-m", $"reading {i}"], Limit);
            Assert.True(pub.ExitCode == 0, pub.Stderr);
        }
        var (code, stdout, stderr) = await sub;
        Assert.True(code == 0, stderr);
        Assert.Equal(["plant/line0 reading 0", "plant/line1 reading 1", "plant/line2 reading 2"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var stored = await broker.ReadAllAsync("mqtt");
        Assert.Equal(["reading 0", "reading 1", "reading 2"], stored.Select(r => Encoding.UTF8.GetString(r.Value.Span)));
        Assert.All(stored, r => Assert.Equal("pub-" + version, Encoding.UTF8.GetString(r.Key!.Value.Span)));
    }

    [Fact]
    public async Task Mosquitto_pub_with_a_wrong_password_is_refused_and_stores_nothing()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/mosquitto_pub"), "mosquitto-clients is not installed (test.sh installs it)");
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.AllowAnonymous = false;
            o.Users = [new() { Username = "dev", PasswordHash = PasswordHasher.Hash("right", 1000) }];
        });
        var bad = await ExternalProcess.RunAsync("mosquitto_pub", [.. Common(broker.Port, "mqttv5"), "-u", "dev", "-P", "wrong", "-t", "x", "-q", "1", "-m", "no"], Limit);
        Assert.NotEqual(0, bad.ExitCode);
        var good = await ExternalProcess.RunAsync("mosquitto_pub", [.. Common(broker.Port, "mqttv5"), "-u", "dev", "-P", "right", "-t", "x", "-q", "1", "-m", "yes"], Limit);
        Assert.True(good.ExitCode == 0, good.Stderr);
        Assert.Equal(["yes"], (await broker.ReadAllAsync("mqtt")).Select(r => Encoding.UTF8.GetString(r.Value.Span)));
    }
}

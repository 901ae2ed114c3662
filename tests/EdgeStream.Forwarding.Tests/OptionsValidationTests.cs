using EdgeStream.Forwarding.Tests.Infrastructure;

namespace EdgeStream.Forwarding.Tests;

public sealed class OptionsValidationTests
{
    private static string Fail(Action<ForwardingOptions> mutate)
    {
        var options = new ForwardingOptions { NodeId = "n1" };
        options.Sinks.Add(EngineRun.Sink("ok", "http", ("Url", "http://127.0.0.1:1/x")));
        options.Sinks.Add(EngineRun.Sink("k", "kafka", ("BootstrapServers", "127.0.0.1:9092")));
        mutate(options);
        return Assert.Throws<ArgumentException>(() => ForwardingOptionsValidator.Check(options, EngineRun.Factories)).Message;
    }

    [Theory]
    [InlineData("type", "Forwarding:Sinks:1:Type")]
    [InlineData("name", "Forwarding:Sinks:1:Name")]
    [InlineData("duplicate", "Forwarding:Sinks:1:Name")]
    [InlineData("start", "Forwarding:Sinks:1:Start")]
    [InlineData("batch", "Forwarding:Sinks:1:Batch:MaxRecords")]
    [InlineData("bandwidth", "Forwarding:Sinks:1:BandwidthBytesPerSecond")]
    [InlineData("kafka", "Forwarding:Sinks:1:Settings:BootstrapServers")]
    [InlineData("compression", "Forwarding:Sinks:1:Settings:Compression")]
    [InlineData("node", "Forwarding:NodeId")]
    [InlineData("topic", "Forwarding:Sinks:1:Topics:0")]
    public void Each_bad_key_is_named_in_the_error(string what, string key)
    {
        var message = Fail(o =>
        {
            var s = o.Sinks[1];
            switch (what)
            {
                case "type": s.Type = "carrier-pigeon"; break;
                case "name": s.Name = "bad/name"; break;
                case "duplicate": s.Name = "ok"; break;
                case "start": s.Start = "yesterday-ish"; break;
                case "batch": s.Batch.MaxRecords = 0; break;
                case "bandwidth": s.BandwidthBytesPerSecond = 10; break;
                case "kafka": s.Settings.Remove("BootstrapServers"); break;
                case "compression": s.Settings["Compression"] = "brotli"; break;
                case "node": o.NodeId = "a/b"; break;
                case "topic": s.Topics.Add("../etc"); break;
            }
        });
        Assert.StartsWith(key, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nats", "Url", "http://wrong", "Forwarding:Sinks:0:Settings:Url")]
    [InlineData("mqtt", "Port", "99999", "Forwarding:Sinks:0:Settings:Port")]
    [InlineData("http", "Url", "ftp://x", "Forwarding:Sinks:0:Settings:Url")]
    [InlineData("http", "TimeoutMs", "5", "Forwarding:Sinks:0:Settings:TimeoutMs")]
    public void Sink_specific_settings_are_validated_with_their_key(string type, string key, string value, string expected)
    {
        var options = new ForwardingOptions { NodeId = "n1" };
        var s = EngineRun.Sink("s", type, ("Url", "nats://127.0.0.1:4222"), ("Host", "127.0.0.1"));
        if (type == "http")
        {
            s.Settings["Url"] = "http://127.0.0.1/x";
        }
        s.Settings[key] = value;
        options.Sinks.Add(s);
        var message = Assert.Throws<ArgumentException>(() => ForwardingOptionsValidator.Check(options, EngineRun.Factories)).Message;
        Assert.StartsWith(expected, message, StringComparison.Ordinal);
    }
}

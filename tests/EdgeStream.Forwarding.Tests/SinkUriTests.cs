namespace EdgeStream.Forwarding.Tests;

public sealed class SinkUriTests
{
    [Theory]
    [InlineData("kafka://broker1:9092", "kafka", "BootstrapServers", "broker1:9092", "kafka-broker1-9092")]
    [InlineData("kafka://broker1", "kafka", "BootstrapServers", "broker1:9092", "kafka-broker1")]
    [InlineData("mqtt://cloud.example:1883", "mqtt", "Port", "1883", "mqtt-cloud.example-1883")]
    [InlineData("mqtts://cloud.example", "mqtt", "Port", "8883", "mqtts-cloud.example")]
    [InlineData("nats://10.0.0.5:4222", "nats", "Url", "nats://10.0.0.5:4222", "nats-10.0.0.5-4222")]
    [InlineData("https://ingest.example/api/v1/edge", "http", "Url", "https://ingest.example/api/v1/edge", "https-ingest.example-api-v1-edge")]
    public void Parses_each_scheme_into_sink_options_with_a_stable_cursor_safe_name(string uri, string type, string key, string value, string name)
    {
        var o = SinkUri.Parse(uri);
        Assert.Equal(type, o.Type);
        Assert.Equal(value, o.Settings[key]);
        Assert.Equal(name, o.Name);
        Assert.Empty(o.Topics);
        Assert.Equal("earliest", o.Start);
    }

    [Fact]
    public void Mqtts_turns_tls_on_and_query_parameters_become_settings()
    {
        var o = SinkUri.Parse("mqtts://user:p%40ss@cloud.example?TopicTemplate=site1/{topic}");
        Assert.Equal("true", o.Settings["Tls"]);
        Assert.Equal("user", o.Settings["Username"]);
        Assert.Equal("p@ss", o.Settings["Password"]);
        Assert.Equal("site1/{topic}", o.Settings["TopicTemplate"]);
    }

    [Theory]
    [InlineData("ftp://host")]
    [InlineData("not a uri")]
    [InlineData("kafka:")]
    public void Rejects_unsupported_or_malformed_uris(string uri)
        => Assert.Throws<FormatException>(() => SinkUri.Parse(uri));

    [Fact]
    public void Parsed_options_pass_validation()
    {
        var options = new ForwardingOptions { NodeId = "n1" };
        foreach (var u in new[] { "kafka://b:9092", "mqtt://m:1883", "nats://n:4222", "http://h:8080/x" })
        {
            options.Sinks.Add(SinkUri.Parse(u));
        }
        ForwardingOptionsValidator.Check(options, Infrastructure.EngineRun.Factories);
    }
}

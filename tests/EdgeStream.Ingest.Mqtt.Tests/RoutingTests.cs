using System.Text;
using EdgeStream.Ingest.Mqtt.Routing;
using MQTTnet.Packets;

namespace EdgeStream.Ingest.Mqtt.Tests;

public sealed class RoutingTests
{
    [Theory]
    [InlineData("sensors/+/telemetry", "sensors/dev1/telemetry", true)]
    [InlineData("sensors/+/telemetry", "sensors/dev1/status", false)]
    [InlineData("sensors/+/telemetry", "sensors/a/b/telemetry", false)]
    [InlineData("sensors/#", "sensors", true)]
    [InlineData("sensors/#", "sensors/a/b", true)]
    [InlineData("#", "$SYS/broker", false)]
    [InlineData("+/x", "$SYS/x", false)]
    [InlineData("a/b", "a/b", true)]
    [InlineData("a/b", "a/b/c", false)]
    [InlineData("+", "a", true)]
    [InlineData("+/+", "a", false)]
    public void Topic_filters_match_as_the_mqtt_spec_says(string filter, string topic, bool expected)
        => Assert.Equal(expected, TopicFilter.Parse(filter).Matches(topic));

    [Theory]
    [InlineData("a/#/b")]
    [InlineData("a/b#")]
    [InlineData("a+/b")]
    [InlineData("")]
    public void Malformed_filters_are_refused(string filter)
        => Assert.False(TopicFilter.TryParse(filter, out _, out _));

    [Theory]
    [InlineData("dev/+/data", "dev/a/data", true)]
    [InlineData("dev/+/data", "dev/+/data", true)]
    [InlineData("dev/+/data", "dev/#", false)]
    [InlineData("dev/#", "dev/a/+", true)]
    [InlineData("dev/a", "dev/+", false)]
    public void A_filter_covers_only_subscriptions_within_it(string allowed, string requested, bool expected)
        => Assert.Equal(expected, TopicFilter.Parse(allowed).Covers(TopicFilter.Parse(requested)));

    [Fact]
    public void Without_routes_everything_goes_to_topic_mqtt_keyed_by_client_id()
    {
        var router = MqttRouter.FromOptions(new MqttIngestOptions());
        var d = router.Route("a/b/c", "device-7", null);
        Assert.Equal(RouteOutcome.Store, d.Outcome);
        Assert.Equal("mqtt", d.LogTopic);
        Assert.Equal("device-7", Encoding.UTF8.GetString(d.Key!));
    }

    [Fact]
    public void The_first_matching_rule_wins_and_takes_its_key_from_a_topic_level()
    {
        var router = MqttRouter.FromOptions(new MqttIngestOptions
        {
            Routes =
            [
                new() { Filter = "sensors/+/telemetry", Topic = "telemetry", Key = "{1}" },
                new() { Filter = "sensors/#", Topic = "other" },
            ],
        });
        var d = router.Route("sensors/dev9/telemetry", "c1", null);
        Assert.Equal(("telemetry", "dev9"), (d.LogTopic, Encoding.UTF8.GetString(d.Key!)));
        Assert.Equal("other", router.Route("sensors/dev9/status", "c1", null).LogTopic);
        Assert.Equal("mqtt", router.Route("elsewhere", "c1", null).LogTopic);
    }

    [Fact]
    public void A_key_can_come_from_a_user_property_and_falls_back_to_the_client_id()
    {
        var router = MqttRouter.FromOptions(new MqttIngestOptions { Routes = [new() { Filter = "#", Topic = "t", Key = "property:site" }] });
        Assert.Equal("north", Encoding.UTF8.GetString(router.Route("x", "c1", [new MqttUserProperty("site", new ReadOnlyMemory<byte>("north"u8.ToArray()))]).Key!));
        Assert.Equal("c1", Encoding.UTF8.GetString(router.Route("x", "c1", null).Key!));
    }

    [Fact]
    public void A_connection_reuses_its_last_route_per_topic_but_never_a_key_taken_from_a_user_property()
    {
        var router = MqttRouter.FromOptions(new MqttIngestOptions
        {
            Routes = [new() { Filter = "sensors/+/telemetry", Topic = "telemetry", Key = "{1}" }, new() { Filter = "prop/#", Topic = "t", Key = "property:site" }],
        });
        var cache = new PublishRouteCache();
        MqttUserProperty[] Site(string site) => [new MqttUserProperty("site", new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(site)))];

        Assert.Equal("a", Encoding.UTF8.GetString(cache.Route(router, "sensors/a/telemetry", "c1", null).Key!));
        Assert.Equal("a", Encoding.UTF8.GetString(cache.Route(router, "sensors/a/telemetry", "c1", null).Key!));
        Assert.Equal("b", Encoding.UTF8.GetString(cache.Route(router, "sensors/b/telemetry", "c1", null).Key!));
        Assert.Equal("mqtt", cache.Route(router, "elsewhere", "c1", null).LogTopic);
        Assert.Equal("north", Encoding.UTF8.GetString(cache.Route(router, "prop/x", "c1", Site("north")).Key!));
        Assert.Equal("south", Encoding.UTF8.GetString(cache.Route(router, "prop/x", "c1", Site("south")).Key!));

        var headers = cache.FixedHeaders("prop/x", "c1", 1, retain: false)!;
        Assert.Equal(["prop/x", "c1", "1", "0"], headers.Select(h => Encoding.UTF8.GetString(h.Value.Span)));
        Assert.Null(cache.FixedHeaders("prop/y", "c1", 1, retain: false));
    }

    [Fact]
    public void Drop_rules_and_a_dropping_default_store_nothing()
    {
        var router = MqttRouter.FromOptions(new MqttIngestOptions
        {
            Routes = [new() { Filter = "debug/#", Drop = true }, new() { Filter = "keep/#", Topic = "kept" }],
            DefaultRoute = new() { Drop = true },
        });
        Assert.Equal(RouteOutcome.Drop, router.Route("debug/x", "c", null).Outcome);
        Assert.Equal(RouteOutcome.Drop, router.Route("misc", "c", null).Outcome);
        Assert.Equal(RouteOutcome.Store, router.Route("keep/1", "c", null).Outcome);
    }

    [Fact]
    public void A_templated_log_topic_is_validated_per_message_so_mqtt_input_never_names_a_bad_directory()
    {
        var router = MqttRouter.FromOptions(new MqttIngestOptions { Routes = [new() { Filter = "site/+/#", Topic = "site-{1}", Key = "none" }, new() { Filter = "raw/+", Topic = "{1}" }] });
        var ok = router.Route("site/north/t", "c", null);
        Assert.Equal(("site-north", (byte[]?)null), (ok.LogTopic, ok.Key));
        Assert.Equal(RouteOutcome.InvalidTopic, router.Route("raw/..", "c", null).Outcome);
        Assert.Equal(RouteOutcome.InvalidTopic, router.Route("raw/NUL", "c", null).Outcome);
        Assert.Equal(RouteOutcome.InvalidTopic, router.Route("site/a b/t", "c", null).Outcome);
    }

    [Fact]
    public void The_stored_record_keeps_payload_bytes_and_mqtt_metadata_as_headers()
    {
        var payload = new byte[] { 0, 255, 1, 2 };
        var message = new MQTTnet.MqttApplicationMessageBuilder().WithTopic("a/b").WithPayload(payload).WithRetainFlag()
            .WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).WithContentType("application/octet-stream")
            .WithUserProperty("site", new ReadOnlyMemory<byte>("north"u8.ToArray())).Build();
        var decision = new RouteDecision(RouteOutcome.Store, "mqtt", [1], null);
        var now = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var record = MqttRecordFactory.Create(message, "cid", decision, now);
        Assert.Equal(payload, record.Value.ToArray());
        Assert.Equal(now, record.Timestamp);
        var h = record.Headers.ToDictionary(x => x.Name, x => Encoding.UTF8.GetString(x.Value.Span));
        Assert.Equal("a/b", h["mqtt.topic"]);
        Assert.Equal("cid", h["mqtt.clientid"]);
        Assert.Equal("1", h["mqtt.qos"]);
        Assert.Equal("1", h["mqtt.retain"]);
        Assert.Equal("application/octet-stream", h["mqtt.content-type"]);
        Assert.Equal("north", h["mqtt.prop.site"]);
        // Forwarding priority is per log topic (Forwarding:TopicPriorities), not stamped on records.
        Assert.False(h.ContainsKey("edgestream.priority"));
    }
}

using EdgeStream.Ingest.Mqtt.Hosting;

namespace EdgeStream.Ingest.Mqtt.Tests;

public sealed class OptionsValidationTests
{
    private static IEnumerable<string> Errors(MqttIngestOptions o) => new MqttIngestOptionsValidator().Validate(null, o).Failures ?? [];

    [Fact]
    public void Defaults_are_valid()
        => Assert.Empty(Errors(new MqttIngestOptions()));

    [Fact]
    public void A_route_priority_fails_start_with_its_key_and_points_to_the_topic_priorities_of_forwarding()
    {
        var o = new MqttIngestOptions { Routes = [new() { Filter = "a", Topic = "t" }, new() { Filter = "alarms/#", Topic = "alarms", Priority = 10 }] };

        var error = Assert.Single(Errors(o));

        Assert.StartsWith("Mqtt:Routes:1:Priority: ", error, StringComparison.Ordinal);
        Assert.Contains("Forwarding:TopicPriorities:<topic>", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-00:00:01")]
    [InlineData("2.00:00:00")]
    public void A_negative_or_huge_retained_snapshot_interval_fails_start_with_its_key(string interval)
    {
        var error = Assert.Single(Errors(new MqttIngestOptions { RetainedSnapshotInterval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture) }));
        Assert.StartsWith("Mqtt:RetainedSnapshotInterval: ", error, StringComparison.Ordinal);
        Assert.Empty(Errors(new MqttIngestOptions { RetainedSnapshotInterval = TimeSpan.Zero })); // 0: in memory only
    }

    [Fact]
    public void A_bad_route_is_reported_with_its_configuration_key()
    {
        var o = new MqttIngestOptions
        {
            Routes = [new() { Filter = "a", Topic = "t" }, new() { Filter = "b", Topic = "t" }, new() { Filter = "a/#/b", Topic = "t" }, new() { Filter = "c", Topic = "bad topic" }, new() { Filter = "d", Topic = "t", Key = "nonsense" }],
        };
        var errors = Errors(o).ToList();
        Assert.Contains(errors, e => e.StartsWith("Mqtt:Routes:2:Filter", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Mqtt:Routes:3:Topic", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Mqtt:Routes:4:Key", StringComparison.Ordinal));
        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void Anonymous_on_a_network_listener_needs_the_explicit_opt_in()
    {
        Assert.Contains(Errors(new MqttIngestOptions { Host = "0.0.0.0", AllowAnonymous = true }), e => e.StartsWith("Mqtt:AllowAnonymous", StringComparison.Ordinal));
        Assert.Empty(Errors(new MqttIngestOptions { Host = "0.0.0.0", AllowAnonymous = true, AllowAnonymousOnNetwork = true }));
    }

    [Fact]
    public void Users_need_a_well_formed_hash_and_upstreams_need_subscriptions()
    {
        var errors = Errors(new MqttIngestOptions
        {
            Users = [new() { Username = "u", PasswordHash = "plain" }],
            Upstreams = [new() { Name = "up" }, new() { Name = "big", Subscriptions = ["#"], ReceiveMaximum = 70_000 }],
            Tls = new() { Port = 8883, CertificateFile = "/nonexistent.pem" },
        }).ToList();
        Assert.Contains(errors, e => e.StartsWith("Mqtt:Users:0:PasswordHash", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Mqtt:Upstreams:0:Subscriptions", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Mqtt:Upstreams:1:ReceiveMaximum", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Mqtt:Tls:CertificateFile", StringComparison.Ordinal));
    }
}

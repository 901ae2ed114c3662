using EdgeStream.Ingest.Mqtt.Auth;
using EdgeStream.Ingest.Mqtt.Hosting;
using EdgeStream.Ingest.Mqtt.Limits;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;

namespace EdgeStream.Ingest.Mqtt.Tests;

/// <summary>Logins cost the same for unknown users, failed logins are throttled per address, and rate buckets refill by elapsed time.</summary>
public sealed class ThrottleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MqttIngestOptions WithAlice(MqttIngestOptions o)
    {
        o.AllowAnonymous = false;
        o.Users = [new() { Username = "alice", PasswordHash = PasswordHasher.Hash("wonderland", 2000) }];
        return o;
    }

    [Fact]
    public void An_unknown_user_costs_one_password_check_against_a_hash_as_dear_as_the_real_ones()
    {
        var checks = new List<string>();
        var authenticator = new MqttAuthenticator(WithAlice(new MqttIngestOptions()), (password, hash) =>
        {
            checks.Add(hash);
            return PasswordHasher.Verify(password, hash);
        });
        Assert.False(authenticator.Authenticate("mallory", "guess", null, secure: false, "c").Accepted);
        Assert.False(authenticator.Authenticate("alice", "guess", null, secure: false, "c").Accepted);
        Assert.True(authenticator.Authenticate("alice", "wonderland", null, secure: false, "c").Accepted);
        Assert.Equal(3, checks.Count);
        Assert.Equal(2000, PasswordHasher.Iterations(checks[0]));
        Assert.False(authenticator.Authenticate("mallory", authenticator.DummyHash, null, secure: false, "c").Accepted);
    }

    [Fact]
    public async Task Repeated_bad_logins_from_one_address_are_refused_without_hashing_until_the_delay_passes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var broker = await TestBroker.StartAsync(o =>
        {
            WithAlice(o);
            o.Limits.ThrottleLoopback = true;
            o.Limits.ConnectRatePerAddress = 0;
            o.Limits.LoginFailuresBeforeDelay = 2;
        }, time: time);
        async Task<MqttClientConnectResultCode?> TryAsync(string password)
        {
            using var client = new MqttClientFactory().CreateMqttClient();
            try
            {
                return await LimitsAndAuthTests.ConnectResultAsync(client, broker.ClientOptions("c").WithCredentials("alice", password).WithTimeout(TimeSpan.FromSeconds(5)).Build());
            }
            catch (Exception e) when (e is not OperationCanceledException || !Ct.IsCancellationRequested)
            {
                return null; // closed at accept: no CONNACK at all
            }
        }
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await TryAsync("wrong"));
        }
        // Blocked for 1 s (doubling from here): even the right password is not checked.
        Assert.Null(await TryAsync("wonderland"));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(MqttClientConnectResultCode.Success, await TryAsync("wonderland"));
    }

    [Fact]
    public void An_idle_client_gets_its_whole_publish_burst_back()
    {
        var time = new FakeTimeProvider();
        var bucket = PublishRateLimiterFactory.Create(new MqttLimitsOptions { PublishRatePerSecond = 1, PublishBurst = 5 }, time)!;
        for (var i = 0; i < 5; i++)
        {
            Assert.True(PublishRateLimiterFactory.TryTake(bucket));
        }
        Assert.False(PublishRateLimiterFactory.TryTake(bucket));
        time.Advance(TimeSpan.FromMinutes(1));
        for (var i = 0; i < 5; i++)
        {
            Assert.True(PublishRateLimiterFactory.TryTake(bucket), $"token {i + 1} of a full burst after a minute idle");
        }
        Assert.False(PublishRateLimiterFactory.TryTake(bucket));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(PublishRateLimiterFactory.TryTake(bucket));
    }

    [Fact]
    public void Connection_bounds_are_validated_with_their_keys()
    {
        var o = new MqttIngestOptions();
        o.Limits.MaxInFlightPerClient = 70_000;
        o.Limits.MaxPacketBytes = 100;
        o.Limits.MaxConnectPacketBytes = 10;
        o.Limits.ConnectTimeout = TimeSpan.Zero;
        o.Limits.MaxPendingConnections = 0;
        o.Limits.TopicAliasMaximum = -1;
        o.Limits.LoginDelayMax = TimeSpan.Zero;
        var errors = new MqttIngestOptionsValidator().Validate(null, o).Failures!.ToList();
        foreach (var key in new[] { "MaxInFlightPerClient", "MaxPacketBytes", "MaxConnectPacketBytes", "ConnectTimeout", "MaxPendingConnections", "TopicAliasMaximum", "LoginDelayMax" })
        {
            Assert.Contains(errors, e => e.StartsWith($"Mqtt:Limits:{key}:", StringComparison.Ordinal));
        }
    }
}

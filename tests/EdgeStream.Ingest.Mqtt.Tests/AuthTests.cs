using EdgeStream.Ingest.Mqtt.Auth;

namespace EdgeStream.Ingest.Mqtt.Tests;

public sealed class AuthTests
{
    [Fact]
    public void A_password_hash_verifies_the_password_and_nothing_else()
    {
        var hash = PasswordHasher.Hash("s3cret", 1000);
        Assert.StartsWith("pbkdf2-sha256$1000$", hash, StringComparison.Ordinal);
        Assert.True(PasswordHasher.Verify("s3cret", hash));
        Assert.False(PasswordHasher.Verify("s3cret ", hash));
        Assert.NotEqual(hash, PasswordHasher.Hash("s3cret", 1000)); // salted
    }

    [Theory]
    [InlineData("s3cret")]
    [InlineData("pbkdf2-sha256$10$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("md5$1000$a$b")]
    public void Malformed_hashes_never_verify(string encoded)
    {
        Assert.False(PasswordHasher.IsWellFormed(encoded, out _));
        Assert.False(PasswordHasher.Verify("s3cret", encoded));
    }

    [Fact]
    public void Acl_placeholders_are_replaced_per_connection()
    {
        var acl = new TopicAcl(["devices/{username}/#", "clients/{clientid}/up"], ["cmd/{username}/+"]).Bind("alice", "c1");
        Assert.True(acl.MayPublish("devices/alice/t"));
        Assert.False(acl.MayPublish("devices/bob/t"));
        Assert.True(acl.MayPublish("clients/c1/up"));
        Assert.True(acl.MaySubscribe("cmd/alice/reboot"));
        Assert.False(acl.MaySubscribe("cmd/#"));
    }

    [Fact]
    public void An_identity_with_wildcards_cannot_widen_its_acl()
    {
        var acl = new TopicAcl(["clients/{clientid}/up"], null).Bind(null, "#");
        Assert.False(acl.MayPublish("clients/#/up"));
        Assert.False(acl.MayPublish("clients/x/up"));
    }

    [Fact]
    public void Anonymous_access_is_on_by_default_only_for_loopback_listeners()
    {
        Assert.True(MqttAuthenticator.AnonymousAllowed(new MqttIngestOptions(), "127.0.0.1"));
        Assert.True(MqttAuthenticator.AnonymousAllowed(new MqttIngestOptions(), "::1"));
        Assert.False(MqttAuthenticator.AnonymousAllowed(new MqttIngestOptions(), "0.0.0.0"));
        Assert.False(MqttAuthenticator.AnonymousAllowed(new MqttIngestOptions { AllowAnonymous = true }, "0.0.0.0"));
        Assert.True(MqttAuthenticator.AnonymousAllowed(new MqttIngestOptions { AllowAnonymous = true, AllowAnonymousOnNetwork = true }, "0.0.0.0"));
        Assert.False(MqttAuthenticator.AnonymousAllowed(new MqttIngestOptions { AllowAnonymous = false }, "127.0.0.1"));
    }
}

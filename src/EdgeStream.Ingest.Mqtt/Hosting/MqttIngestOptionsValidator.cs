using System.Net;
using EdgeStream.Ingest.Mqtt.Auth;
using EdgeStream.Ingest.Mqtt.Routing;
using EdgeStream.Log;
using EdgeStream.Validation;
using Microsoft.Extensions.Options;

namespace EdgeStream.Ingest.Mqtt.Hosting;

/// <summary>
/// Validates the <c>Mqtt</c> section at start (fail fast), naming the offending key, e.g. <c>Mqtt:Routes:2:Filter</c>:
/// the data annotations (through the generated <see cref="MqttIngestOptionsAnnotations"/>), then the rules that span
/// settings or parse them. Reports every failure at once. Stateless; thread-safe.
/// </summary>
internal sealed class MqttIngestOptionsValidator : IValidateOptions<MqttIngestOptions>
{
    private const string S = MqttIngestOptions.SectionName;

    // The lookup keeps an index of the window's QoS 2 records per partition in memory for as long: a day is plenty
    // for a restart, and bounds how long that memory is held.
    private static readonly TimeSpan MaxRecoveryWindow = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, MqttIngestOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var errors = OptionsKeys.Map(new MqttIngestOptionsAnnotations().Validate(name, o), nameof(MqttIngestOptions), S).ToList();
        CheckEndpoint(errors, $"{S}:Host", o.Host, $"{S}:Port", o.Port);
        CheckEndpoint(errors, $"{S}:Tls:Host", o.Tls.Host, $"{S}:Tls:Port", o.Tls.Port);
        if (o.Tls.Port != 0)
        {
            if (string.IsNullOrEmpty(o.Tls.CertificateFile) || !File.Exists(o.Tls.CertificateFile))
            {
                errors.Add($"{S}:Tls:CertificateFile: a PEM or PFX certificate file is required when {S}:Tls:Port is set (not found: '{o.Tls.CertificateFile}').");
            }
            if (!string.IsNullOrEmpty(o.Tls.KeyFile) && !File.Exists(o.Tls.KeyFile))
            {
                errors.Add($"{S}:Tls:KeyFile: file '{o.Tls.KeyFile}' not found.");
            }
            if (o.Tls.ClientCertificates is not ("none" or "optional" or "required"))
            {
                errors.Add($"{S}:Tls:ClientCertificates: must be none, optional or required (got '{o.Tls.ClientCertificates}').");
            }
            else if (o.Tls.ClientCertificates != "none" && (string.IsNullOrEmpty(o.Tls.ClientCaFile) || !File.Exists(o.Tls.ClientCaFile)))
            {
                errors.Add($"{S}:Tls:ClientCaFile: a PEM CA file is required when client certificates are {o.Tls.ClientCertificates}.");
            }
        }
        if (o.AllowAnonymous == true && !o.AllowAnonymousOnNetwork && ((o.Port != 0 && !MqttAuthenticator.IsLoopback(o.Host)) || (o.Tls.Port != 0 && !MqttAuthenticator.IsLoopback(o.Tls.Host))))
        {
            errors.Add($"{S}:AllowAnonymous: anonymous clients on a non-loopback listener also need {S}:AllowAnonymousOnNetwork=true.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < o.Users.Count; i++)
        {
            var u = o.Users[i];
            var path = $"{S}:Users:{i}";
            if (string.IsNullOrEmpty(u.Username) || !names.Add(u.Username))
            {
                errors.Add($"{path}:Username: empty or duplicate.");
            }
            if (u.PasswordHash is null && u.CertificateSubject is null)
            {
                errors.Add($"{path}:PasswordHash: a user needs a PasswordHash or a CertificateSubject.");
            }
            else if (u.PasswordHash is not null && !PasswordHasher.IsWellFormed(u.PasswordHash, out var why))
            {
                errors.Add($"{path}:PasswordHash: {why} (generate one with 'edgestream mqtt hash-password').");
            }
            CheckAcl(errors, $"{path}:Acl", u.Acl);
        }
        CheckAcl(errors, $"{S}:AnonymousAcl", o.AnonymousAcl);

        var l = o.Limits;
        if (l.PublishRatePerSecond < 0 || l.PublishBurst < 0)
        {
            errors.Add($"{S}:Limits:PublishRatePerSecond: rate and burst must not be negative.");
        }
        TransportLimitsValidator.Check(errors, $"{S}:Limits", l);

        var sessions = o.Sessions;
        if (sessions.DefaultExpiry <= TimeSpan.Zero || sessions.DefaultExpiry.TotalSeconds > uint.MaxValue)
        {
            errors.Add($"{S}:Sessions:DefaultExpiry: must be positive and at most {uint.MaxValue} seconds.");
        }
        if (sessions.MaxExpiry <= TimeSpan.Zero || sessions.MaxExpiry.TotalSeconds > uint.MaxValue)
        {
            errors.Add($"{S}:Sessions:MaxExpiry: must be positive and at most {uint.MaxValue} seconds.");
        }
        if (o.MaxKeepAlive < TimeSpan.Zero || o.MaxKeepAlive.TotalSeconds > ushort.MaxValue || (o.MaxKeepAlive > TimeSpan.Zero && o.MaxKeepAlive < TimeSpan.FromSeconds(1)))
        {
            errors.Add($"{S}:MaxKeepAlive: must be 0 (off) or 1 to {ushort.MaxValue} seconds.");
        }
        if (o.ExactlyOnceRecoveryWindow < TimeSpan.Zero || o.ExactlyOnceRecoveryWindow > MaxRecoveryWindow)
        {
            errors.Add($"{S}:ExactlyOnceRecoveryWindow: must be 0 (off) to {MaxRecoveryWindow} (got {o.ExactlyOnceRecoveryWindow}).");
        }

        if (o.SysInterval < TimeSpan.Zero || o.SysInterval > TimeSpan.FromDays(1) || (o.SysInterval > TimeSpan.Zero && o.SysInterval < TimeSpan.FromMilliseconds(100)))
        {
            errors.Add($"{S}:SysInterval: must be 0 (no $SYS statistics) or 00:00:00.1 to 1.00:00:00.");
        }

        if (o.RetainedSnapshotInterval < TimeSpan.Zero || o.RetainedSnapshotInterval > TimeSpan.FromDays(1))
        {
            errors.Add($"{S}:RetainedSnapshotInterval: must be 0 (retained messages in memory only) to 1.00:00:00 (got {o.RetainedSnapshotInterval}).");
        }

        for (var i = 0; i < o.Routes.Count; i++)
        {
            CheckRoute(errors, $"{S}:Routes:{i}", o.Routes[i], filterRequired: true);
        }
        CheckRoute(errors, $"{S}:DefaultRoute", o.DefaultRoute, filterRequired: false);

        var upstreamNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < o.Upstreams.Count; i++)
        {
            var u = o.Upstreams[i];
            var path = $"{S}:Upstreams:{i}";
            if (string.IsNullOrEmpty(u.Name) || !upstreamNames.Add(u.Name))
            {
                errors.Add($"{path}:Name: empty or duplicate.");
            }
            if (string.IsNullOrEmpty(u.Host))
            {
                errors.Add($"{path}:Host: required.");
            }
            if (u.ProtocolVersion is not ("5.0" or "3.1.1"))
            {
                errors.Add($"{path}:ProtocolVersion: must be 5.0 or 3.1.1.");
            }
            if (u.Subscriptions.Count == 0)
            {
                errors.Add($"{path}:Subscriptions: at least one topic filter is required.");
            }
            for (var j = 0; j < u.Subscriptions.Count; j++)
            {
                if (!TopicFilter.TryParse(u.Subscriptions[j], out _, out var why))
                {
                    errors.Add($"{path}:Subscriptions:{j}: {why}.");
                }
            }
            if (u.ReceiveMaximum is < 1 or > 65535)
            {
                errors.Add($"{path}:ReceiveMaximum: must be 1-65535 (got {u.ReceiveMaximum}).");
            }
            if (u.ReconnectMinDelay <= TimeSpan.Zero || u.ReconnectMaxDelay < u.ReconnectMinDelay)
            {
                errors.Add($"{path}:ReconnectMinDelay: must be positive and not above ReconnectMaxDelay.");
            }
            if (u.CaFile is not null && !File.Exists(u.CaFile))
            {
                errors.Add($"{path}:CaFile: file '{u.CaFile}' not found.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckEndpoint(List<string> errors, string hostKey, string host, string portKey, int port)
    {
        if (port is < 0 or > 65535)
        {
            errors.Add($"{portKey}: must be 0 (disabled) to 65535.");
        }
        if (port != 0 && !host.Equals("localhost", StringComparison.OrdinalIgnoreCase) && !IPAddress.TryParse(host, out _))
        {
            errors.Add($"{hostKey}: '{host}' is not an IP address (or localhost).");
        }
    }

    private static void CheckAcl(List<string> errors, string path, MqttAclOptions? acl)
    {
        foreach (var (list, kind) in new[] { (acl?.Publish, "Publish"), (acl?.Subscribe, "Subscribe"), (acl?.DenyPublish, "DenyPublish"), (acl?.DenySubscribe, "DenySubscribe") })
        {
            for (var j = 0; j < (list?.Count ?? 0); j++)
            {
                var probe = list![j].Replace("{username}", "u", StringComparison.Ordinal).Replace("{clientid}", "c", StringComparison.Ordinal);
                if (!TopicFilter.TryParse(probe, out _, out var why))
                {
                    errors.Add($"{path}:{kind}:{j}: {why}.");
                }
            }
        }
    }

    private static void CheckRoute(List<string> errors, string path, MqttRouteOptions r, bool filterRequired)
    {
        if ((filterRequired || !string.IsNullOrEmpty(r.Filter)) && !TopicFilter.TryParse(r.Filter, out _, out var why))
        {
            errors.Add($"{path}:Filter: {why}.");
        }
        if (!KeySource.TryParse(r.Key, out _, out var keyWhy))
        {
            errors.Add($"{path}:Key: {keyWhy}.");
        }
        if (r.Priority is not null)
        {
            errors.Add($"{path}:Priority: no longer supported; forwarding priority is per log topic: set Forwarding:TopicPriorities:<topic> instead (see docs/forwarding.md).");
        }
        if (r.Drop)
        {
            return;
        }
        if (string.IsNullOrEmpty(r.Topic))
        {
            errors.Add($"{path}:Topic: a log topic is required unless Drop is true.");
        }
        else
        {
            // A template is checked with a harmless stand-in for each level; the real name is checked per message.
            var probe = RouteRule.Substitute(r.Topic, Enumerable.Repeat("x", 64).ToArray());
            if (probe is null || !TopicName.IsValid(probe, out _))
            {
                errors.Add($"{path}:Topic: '{r.Topic}' is not a valid log topic ([A-Za-z0-9._-], {{n}} for MQTT topic level n).");
            }
            else if (!TopicName.IsValidForIngest(probe, out var topicWhy))
            {
                errors.Add($"{path}:Topic: '{r.Topic}': {topicWhy}.");
            }
        }
    }
}

/// <summary>The data annotations of the <c>Mqtt</c> section (generated; its failures name C# members, see <see cref="OptionsKeys"/>).</summary>
[OptionsValidator]
internal sealed partial class MqttIngestOptionsAnnotations : IValidateOptions<MqttIngestOptions>;

using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace EdgeStream.Ingest.Mqtt.Auth;

/// <summary>
/// Decides whether a CONNECT is accepted and with which ACL: username/password against salted hashes, a client
/// certificate (TLS listener, CN mapped to a user's <c>CertificateSubject</c>), or anonymous where allowed — by
/// default only on loopback listeners. Immutable after construction; thread-safe.
/// </summary>
internal sealed class MqttAuthenticator
{
    private readonly Dictionary<string, (MqttUserOptions User, TopicAcl Acl)> _users;
    private readonly Dictionary<string, (MqttUserOptions User, TopicAcl Acl)> _certificateUsers;
    private readonly TopicAcl _anonymousAcl;
    private readonly Func<string, string, bool> _verify;
    private readonly Lazy<string> _dummyHash;

    /// <param name="options">Users, ACLs and listeners.</param>
    /// <param name="verify">Password check (default <see cref="PasswordHasher.Verify"/>); tests observe it.</param>
    public MqttAuthenticator(MqttIngestOptions options, Func<string, string, bool>? verify = null)
    {
        _verify = verify ?? PasswordHasher.Verify;
        // Same cost as the dearest real hash, so a refusal takes as long for an unknown user as for a wrong password.
        var iterations = options.Users.Select(u => PasswordHasher.Iterations(u.PasswordHash)).DefaultIfEmpty(PasswordHasher.DefaultIterations).Max();
        // Made on the first CONNECT with a username, not here: hashing at start-up loaded OpenSSL (3.6 MB resident) into
        // every broker, including those with no users and no TLS, and cost a PBKDF2 run on every start.
        _dummyHash = new(() => PasswordHasher.Hash(Guid.NewGuid().ToString("N"), Math.Max(1000, iterations)), LazyThreadSafetyMode.ExecutionAndPublication);
        _users = options.Users.ToDictionary(u => u.Username, u => (u, TopicAcl.From(u.Acl)), StringComparer.Ordinal);
        _certificateUsers = options.Users.Where(u => !string.IsNullOrEmpty(u.CertificateSubject))
            .ToDictionary(u => u.CertificateSubject!, u => (u, TopicAcl.From(u.Acl)), StringComparer.Ordinal);
        _anonymousAcl = TopicAcl.From(options.AnonymousAcl);
        AnonymousOnPlain = AnonymousAllowed(options, options.Host);
        AnonymousOnTls = AnonymousAllowed(options, options.Tls.Host);
    }

    public bool AnonymousOnPlain { get; }

    /// <summary>The hash an unknown user's password is checked against (never matches: its password is random).</summary>
    internal string DummyHash => _dummyHash.Value;

    public bool AnonymousOnTls { get; }

    /// <summary>Anonymous is on by default only for loopback; elsewhere it needs both switches.</summary>
    internal static bool AnonymousAllowed(MqttIngestOptions options, string host)
    {
        if (options.AllowAnonymous == false)
        {
            return false;
        }
        return IsLoopback(host) || (options.AllowAnonymous == true && options.AllowAnonymousOnNetwork);
    }

    internal static bool IsLoopback(string host)
        => string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    public AuthResult Authenticate(string? username, string? password, X509Certificate2? clientCertificate, bool secure, string clientId)
    {
        if (!string.IsNullOrEmpty(username))
        {
            var known = _users.TryGetValue(username, out var entry);
            if (password is not null)
            {
                // Made (once) whether or not the user is known, so the first refusal of an unknown user takes no longer.
                var dummy = DummyHash;
                var hash = known && entry.User.PasswordHash is { } real ? real : dummy;
                if (_verify(password, hash) && !ReferenceEquals(hash, dummy))
                {
                    return AuthResult.Accept(username, entry.Acl.Bind(username, clientId));
                }
            }
            if (password is null && secure && clientCertificate is not null && CertificateUser(clientCertificate) is { } byCert && byCert.User.Username == username)
            {
                return AuthResult.Accept(username, byCert.Acl.Bind(username, clientId));
            }
            return AuthResult.Reject(AuthFailure.BadCredentials);
        }
        if (secure && clientCertificate is not null)
        {
            // The TLS handshake already checked the chain against Mqtt:Tls:ClientCaFile; here only the identity.
            if (CertificateUser(clientCertificate) is { } byCert)
            {
                return AuthResult.Accept(byCert.User.Username, byCert.Acl.Bind(byCert.User.Username, clientId));
            }
        }
        var anonymous = secure ? AnonymousOnTls : AnonymousOnPlain;
        return anonymous ? AuthResult.Accept(null, _anonymousAcl.Bind(null, clientId)) : AuthResult.Reject(AuthFailure.NotAuthorized);
    }

    private (MqttUserOptions User, TopicAcl Acl)? CertificateUser(X509Certificate2 certificate)
    {
        var cn = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return cn is not null && _certificateUsers.TryGetValue(cn, out var entry) ? entry : null;
    }
}

/// <summary>Why a CONNECT was refused.</summary>
internal enum AuthFailure
{
    None,
    BadCredentials,
    NotAuthorized,
}

/// <summary>The outcome of <see cref="MqttAuthenticator.Authenticate"/>. Immutable.</summary>
internal sealed record AuthResult(bool Accepted, AuthFailure Failure, string? Username, ConnectionAcl? Acl)
{
    public static AuthResult Accept(string? username, ConnectionAcl acl) => new(true, AuthFailure.None, username, acl);

    public static AuthResult Reject(AuthFailure failure) => new(false, failure, null, null);
}

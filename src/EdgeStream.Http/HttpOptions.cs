using System.ComponentModel.DataAnnotations;

namespace EdgeStream.Http;

/// <summary>
/// The <c>Http</c> configuration section: where the admin server listens and what it accepts. Mutable for options
/// binding; validated at start by <see cref="HttpOptionsValidator"/>.
/// </summary>
internal sealed class HttpOptions
{
    public const string SectionName = "Http";

    /// <summary>IP address to bind: <c>127.0.0.1</c> (default, loopback only), <c>0.0.0.0</c>/<c>*</c>, <c>::</c> or <c>localhost</c>.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 disables the admin server.</summary>
    [Range(0, 65535, ErrorMessage = "{0} must be between 0 (disabled) and 65535.")]
    public int Port { get; set; } = 8080;

    /// <summary>
    /// When set, every path except <c>/healthz</c> and <c>/readyz</c> (and <c>/metrics</c> with
    /// <see cref="PublicMetrics"/>) requires <c>Authorization: Bearer &lt;token&gt;</c> (or HTTP Basic with the token as
    /// password, for browsers). Required when <see cref="Address"/> is not loopback, unless
    /// <see cref="AllowAnonymousOnNetwork"/> is set.
    /// </summary>
    [RegularExpression(@"^\S*$", ErrorMessage = "{0} must not contain whitespace.")]
    public string? Token { get; set; }

    /// <summary>
    /// Serve a non-loopback <see cref="Address"/> without a token (named like <c>Mqtt:AllowAnonymousOnNetwork</c>).
    /// Off by default: the admin API reads every record and moves cursors, so it is not left open by accident.
    /// </summary>
    public bool AllowAnonymousOnNetwork { get; set; }

    /// <summary>Serve <c>/metrics</c> without the token, for scrapers that cannot send one. Off by default.</summary>
    public bool PublicMetrics { get; set; }

    /// <summary>Largest request body accepted (ingest and cursor commits). Default 1 MiB.</summary>
    [Range(1d, HttpOptionsValidator.MaxBodyLimit, ErrorMessage = "{0} must be between 1 and {2}.")]
    public long MaxBodyBytes { get; set; } = 1 << 20;

    /// <summary>Longest a pull request may long-poll (<c>waitMs</c> is clamped to it). Default 30 s.</summary>
    [Range(0, HttpOptionsValidator.MaxPullWaitLimit, ErrorMessage = "{0} must be between 0 and {2}.")]
    public int MaxPullWaitMs { get; set; } = 30_000;

    /// <summary>
    /// Most connections open at once (pull long-polls hold one each); further ones are closed at accept, so a flood of
    /// clients cannot take the box's memory and file descriptors. Default 256.
    /// </summary>
    [Range(1, 100_000, ErrorMessage = "{0} must be between 1 and 100000.")]
    public int MaxConnections { get; set; } = 256;

    /// <summary>
    /// Tests only (not bound from configuration): listen on a free port chosen by the OS even though
    /// <see cref="Port"/> 0 means "disabled" for operators.
    /// </summary>
    internal bool ListenOnFreePort { get; set; }

    /// <summary>True when a token is configured.</summary>
    public bool RequiresToken => !string.IsNullOrEmpty(Token);
}

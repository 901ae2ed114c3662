using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgeStream.Host.Run;

/// <summary>
/// The host's own top-level settings (outside any section). Mutable for options binding; validated at start with
/// every other section by <see cref="HostSettingsValidator"/>.
/// </summary>
internal sealed class HostSettings
{
    /// <summary>The configuration key of <see cref="ShutdownTimeoutSeconds"/>, as documented.</summary>
    public const string ShutdownTimeoutKey = "shutdownTimeoutSeconds";

    /// <summary>
    /// The generic host's stop bound, <c>shutdownTimeoutSeconds</c> (default 30): SIGTERM lets every stage finish
    /// within it, then the log closes cleanly. Kept as text because the host silently ignores a value it cannot parse.
    /// </summary>
    public string? ShutdownTimeoutSeconds { get; set; }

    /// <summary>Binds the root of <paramref name="configuration"/> and validates it at start.</summary>
    public static void Register(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HostSettings>().Bind(configuration).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HostSettings>, HostSettingsValidator>());
    }
}

/// <summary>Validates <see cref="HostSettings"/>; each failure names its key. Stateless.</summary>
internal sealed class HostSettingsValidator : IValidateOptions<HostSettings>
{
    public ValidateOptionsResult Validate(string? name, HostSettings options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.ShutdownTimeoutSeconds is { } text
               && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds is < 1 or > 3600)
            ? ValidateOptionsResult.Fail($"{HostSettings.ShutdownTimeoutKey} must be a whole number of seconds between 1 and 3600 (was '{text}').")
            : ValidateOptionsResult.Success;
    }
}

using EdgeStream.Log;
using EdgeStream.Validation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgeStream.Host.Run;

/// <summary>Registers the log in <c>edgestream run</c>'s host.</summary>
internal static class LogServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates (at start) the <c>Log</c> section and registers the <see cref="LogStore"/> singleton, opened
    /// by <see cref="LogOpener.OpenAsync"/> before the host starts.
    /// </summary>
    public static IServiceCollection AddEdgeStreamLog(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection("Log");
        services.AddOptions<LogOptions>().Bind(section).ValidateOnStart();
        UnknownSettings.Register(services, section, UnknownSettings.Probe(() => section.Get<LogOptions>(UnknownSettings.Strict)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LogOptions>, LogOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<LogOpener>();
        services.AddSingleton(sp => sp.GetRequiredService<LogOpener>().Store);
        return services;
    }
}

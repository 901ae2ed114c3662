using EdgeStream.Http;
using EdgeStream.Http.Health;
using EdgeStream.Http.Status;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

// In the DI namespace by convention, so hosts call AddEdgeStreamHttp without an extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers EdgeStream's admin HTTP server in a host.</summary>
public static class HttpServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates (at start) the <c>Http</c> section (<c>Address</c>, <c>Port</c> — 0 disables,
    /// <c>Token</c>, <c>MaxBodyBytes</c>, <c>MaxPullWaitMs</c>), registers the readiness checks of the log and the
    /// admin listener, and the hosted service that runs the admin server: health, metrics, status API and page,
    /// HTTP ingest and the pull API (see docs/http-api.md). Needs a <see cref="EdgeStream.Log.LogStore"/> in the container.
    /// </summary>
    public static IServiceCollection AddEdgeStreamHttp(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<HttpOptions>().Bind(configuration.GetSection(HttpOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HttpOptions>, HttpOptionsValidator>());
        services.TryAddSingleton<AdminListenerState>();
        services.AddHealthChecks()
            .AddCheck<LogHealthCheck>("log", tags: [HealthTags.Ready])
            .AddCheck<AdminListenerHealthCheck>("http", tags: [HealthTags.Ready]);
        services.AddHostedService<AdminHttpServer>();
        return services;
    }

    /// <summary>
    /// Adds a section named <paramref name="name"/> to <c>/api/status</c> (and the status page), computed on each
    /// request by <paramref name="getStatus"/> from the host's services — for stages that do not reference this
    /// assembly (the host wires them, e.g. <c>"sinks"</c> from the forwarding engine).
    /// </summary>
    public static IServiceCollection AddEdgeStreamStatus(this IServiceCollection services, string name, Func<IServiceProvider, object?> getStatus)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(getStatus);
        services.AddSingleton<IStatusContributor>(sp => new DelegateStatusContributor(name, () => getStatus(sp)));
        return services;
    }
}

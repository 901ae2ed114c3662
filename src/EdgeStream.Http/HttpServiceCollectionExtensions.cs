using EdgeStream.Http;
using EdgeStream.Http.Health;
using EdgeStream.Http.Metrics;
using EdgeStream.Http.Pull;
using EdgeStream.Http.Redaction;
using EdgeStream.Http.Status;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

// In the DI namespace by convention, so hosts call AddEdgeStreamHttp without an extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers EdgeStream's admin HTTP server in a host.</summary>
public static class HttpServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates (at start) the <c>Http</c> section (<c>Address</c>, <c>Port</c> — 0 disables,
    /// <c>Token</c>, <c>AllowAnonymousOnNetwork</c>, <c>PublicMetrics</c>, <c>MaxBodyBytes</c>, <c>MaxPullWaitMs</c>), registers the readiness checks of the log and the
    /// admin listener, and the hosted service that runs the admin server: health, metrics, status API and page,
    /// HTTP ingest and the pull API (see docs/http-api.md). Needs a <see cref="EdgeStream.Log.LogStore"/> in the container.
    /// </summary>
    public static IServiceCollection AddEdgeStreamHttp(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<HttpOptions>().Bind(configuration.GetSection(HttpOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HttpOptions>, HttpOptionsValidator>());
        services.TryAddSingleton<AdminListenerState>();
        services.AddIngestWriter(EdgeStream.Http.Ingest.IngestHandler.IngestSource);
        services.TryAddSingleton<PrometheusExporter>();
        services.TryAddSingleton<ProcessMetrics>();
        // First of all hosted services, whatever the order of the Add… calls: see MetricsListenerStartup.
        if (!services.Any(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(MetricsListenerStartup)))
        {
            services.Insert(0, ServiceDescriptor.Singleton<IHostedService, MetricsListenerStartup>());
        }
        services.AddHealthChecks()
            .AddCheck<LogHealthCheck>("log", tags: [HealthTags.Ready])
            .AddCheck<AdminListenerHealthCheck>("http", tags: [HealthTags.Ready]);
        services.AddHostedService<AdminHttpServer>();
        return services;
    }

    /// <summary>
    /// Registers credentials (passwords, tokens, header values) that <c>/api/status</c> and the status page must never
    /// show: wherever one appears in a status section it is replaced by <c>***</c> (values of at least 4 characters;
    /// URI user info, secret-named properties and <c>password=…</c>-style pairs are masked regardless). Read once at start.
    /// </summary>
    public static IServiceCollection AddEdgeStreamSecrets(this IServiceCollection services, Func<IServiceProvider, IEnumerable<string?>> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        services.AddSingleton(new SecretSource(secrets));
        return services;
    }

    /// <summary>
    /// Registers the names of the configured sinks: the pull API refuses (409) to move a cursor of one of these names,
    /// which belongs to the forwarding engine. Read once at start.
    /// </summary>
    public static IServiceCollection AddEdgeStreamSinkCursors(this IServiceCollection services, Func<IServiceProvider, IEnumerable<string>> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        services.AddSingleton(new SinkCursorSource(names));
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

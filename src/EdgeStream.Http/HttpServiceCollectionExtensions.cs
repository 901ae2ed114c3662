using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization.Metadata;
using EdgeStream.Http;
using EdgeStream.Http.Auth;
using EdgeStream.Http.Health;
using EdgeStream.Http.Ingest;
using EdgeStream.Http.Metrics;
using EdgeStream.Http.Page;
using EdgeStream.Http.Pull;
using EdgeStream.Http.Redaction;
using EdgeStream.Http.Status;
using EdgeStream.Validation;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
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
    /// <c>Token</c>, <c>AllowAnonymousOnNetwork</c>, <c>PublicMetrics</c>, <c>MaxBodyBytes</c>, <c>MaxPullWaitMs</c>, <c>MaxConnections</c>),
    /// registers the readiness checks of the log and the admin listener, the handlers behind health, metrics, status
    /// API and page, HTTP ingest and the pull API (see docs/http-api.md), and points the host's Kestrel at the
    /// configured endpoint (no listener at all when disabled). Call on a web host's services
    /// (<c>WebApplication.CreateSlimBuilder</c>), then <c>app.MapEdgeStreamHttp()</c>. Needs a
    /// <see cref="EdgeStream.Log.LogStore"/> in the container. Idempotent.
    /// </summary>
    /// <exception cref="InvalidOperationException">The services have no web server (Kestrel) registered.</exception>
    public static IServiceCollection AddEdgeStreamHttp(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(AdminListenerState)))
        {
            return services;
        }
        var section = configuration.GetSection(HttpOptions.SectionName);
        services.AddOptions<HttpOptions>().Bind(section).ValidateOnStart();
        UnknownSettings.Register(services, section, UnknownSettings.Probe(() => section.Get<HttpOptions>(UnknownSettings.Strict)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HttpOptions>, HttpOptionsValidator>());
        services.AddSingleton<AdminListenerState>();
        services.AddIngestWriter(EdgeStream.Http.Ingest.IngestHandler.IngestSource);
        services.TryAddSingleton<PrometheusExporter>();
        services.TryAddSingleton<ProcessMetrics>();
        services.TryAddSingleton(TimeProvider.System);
        // First of all hosted services, whatever the order of the Add… calls: see MetricsListenerStartup.
        if (!services.Any(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(MetricsListenerStartup)))
        {
            services.Insert(0, ServiceDescriptor.Singleton<IHostedService, MetricsListenerStartup>());
        }
        services.AddHealthChecks()
            .AddCheck<LogHealthCheck>("log", tags: [HealthTags.Ready])
            .AddCheck<AdminListenerHealthCheck>("http", tags: [HealthTags.Ready]);
        services.AddRouting();
        // Problem documents go through these options; in the shipped (NativeAOT) build they have no reflection to fall
        // back on, and a refused request would turn into a 500 with an empty body.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, HttpJsonContext.Default));

        services.AddSingleton<TokenAuthMiddleware>();
        services.AddSingleton(sp => new StatusContributors(sp.GetServices<IStatusContributor>()));
        services.AddSingleton<StatusBuilder>();
        services.AddSingleton<IngestHandler>();
        services.AddSingleton<RecordsHandler>();
        services.AddSingleton<CursorHandler>();
        services.AddSingleton<StatusPage>();
        // Read once, on first use: the configured sinks and secrets do not change while running.
        services.AddSingleton(sp => new SecretRedactor(
            [sp.GetRequiredService<IOptions<HttpOptions>>().Value.Token, .. sp.GetServices<SecretSource>().SelectMany(s => s.Get(sp))]));
        services.AddSingleton(sp => new SinkCursorNames(sp.GetServices<SinkCursorSource>().SelectMany(s => s.Get(sp))));

        services.AddTransient<IConfigureOptions<KestrelServerOptions>, KestrelSetup>();
        UseAdminServer(services);
        return services;
    }

    /// <summary>Moves the web host's server (Kestrel) under a key and puts <see cref="AdminWebServer"/> in front of it.</summary>
    private static void UseAdminServer(IServiceCollection services)
    {
        var server = services.LastOrDefault(d => d.ServiceType == typeof(IServer) && !d.IsKeyedService)
            ?? throw new InvalidOperationException(
                "AddEdgeStreamHttp needs a web host with Kestrel: build the host with WebApplication.CreateSlimBuilder (or call WebHost.UseKestrelCore()) first.");
        services.Remove(server);
        const string key = AdminWebServer.KestrelKey;
        services.Add(server switch
        {
            { ImplementationType: { } type } => new ServiceDescriptor(typeof(IServer), key, type, server.Lifetime),
            { ImplementationFactory: { } factory } => new ServiceDescriptor(typeof(IServer), key, (sp, _) => factory(sp), server.Lifetime),
            _ => new ServiceDescriptor(typeof(IServer), key, server.ImplementationInstance!),
        });
        services.AddSingleton<IServer, AdminWebServer>();
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
    /// request by <paramref name="getStatus"/> from the host's services and serialized with <paramref name="typeInfo"/>
    /// (source-generated, so trimmed and NativeAOT builds keep working) — for stages that do not reference this
    /// assembly (the host wires them, e.g. <c>"sinks"</c> from the forwarding engine).
    /// </summary>
    public static IServiceCollection AddEdgeStreamStatus<T>(this IServiceCollection services, string name, Func<IServiceProvider, T?> getStatus, JsonTypeInfo<T> typeInfo)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(getStatus);
        ArgumentNullException.ThrowIfNull(typeInfo);
        services.AddSingleton<IStatusContributor>(sp => new DelegateStatusContributor<T>(name, () => getStatus(sp), typeInfo));
        return services;
    }

    /// <summary>
    /// Adds a section named <paramref name="name"/> to <c>/api/status</c> whose object is serialized by reflection
    /// (camelCase, enums as strings). Not for trimmed or NativeAOT builds: use the overload taking a <see cref="JsonTypeInfo{T}"/>.
    /// </summary>
    [RequiresUnreferencedCode("Serializes the status object by reflection; use the JsonTypeInfo overload.")]
    [RequiresDynamicCode("Serializes the status object by reflection; use the JsonTypeInfo overload.")]
    public static IServiceCollection AddEdgeStreamStatus(this IServiceCollection services, string name, Func<IServiceProvider, object?> getStatus)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(getStatus);
        services.AddSingleton<IStatusContributor>(sp => new ReflectionStatusContributor(name, () => getStatus(sp)));
        return services;
    }
}

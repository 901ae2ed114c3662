using System.Net;
using EdgeStream.Http.Auth;
using EdgeStream.Http.Health;
using EdgeStream.Http.Ingest;
using EdgeStream.Http.Metrics;
using EdgeStream.Http.Page;
using EdgeStream.Http.Pull;
using EdgeStream.Http.Redaction;
using EdgeStream.Http.Status;
using EdgeStream.Log;
using EdgeStream.Log.Ingest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStream.Http;

/// <summary>Builds the admin <c>WebApplication</c>: its container (bridged to the outer one) and every endpoint. Stateless.</summary>
internal static class AdminApp
{
    public static WebApplication Build(HttpOptions options, IPEndPoint endpoint, IServiceProvider outer)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(AdminApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        // The outer host owns configuration: without this, appsettings.json, ASPNETCORE_* variables and a "Kestrel"
        // section would be read a second time here and could add listeners the operator never asked for.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(endpoint);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
        });

        var services = builder.Services;
        // Shared with the outer host: same log, same logging pipeline, same health checks and status contributors.
        services.Replace(ServiceDescriptor.Singleton(outer.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        services.AddSingleton(outer.GetRequiredService<LogStore>());
        services.AddKeyedSingleton(IngestHandler.IngestSource, outer.GetRequiredKeyedService<IIngestWriter>(IngestHandler.IngestSource));
        services.AddSingleton(outer.GetRequiredService<HealthCheckService>());
        services.AddSingleton(outer.GetRequiredService<AdminListenerState>());
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(outer.GetService<TimeProvider>() ?? TimeProvider.System);
        services.AddSingleton(new StatusContributors(outer.GetServices<IStatusContributor>()));
        // The outer host's, created before the stages so it sees their first measurements.
        services.AddSingleton(outer.GetRequiredService<PrometheusExporter>());
        services.AddSingleton<StatusBuilder>();
        services.AddSingleton<IngestHandler>();
        services.AddSingleton<RecordsHandler>();
        services.AddSingleton<CursorHandler>();
        services.AddSingleton<StatusPage>();
        // Read once from the outer container: the configured sinks and secrets do not change while running.
        services.AddSingleton(new SecretRedactor([options.Token, .. outer.GetServices<SecretSource>().SelectMany(s => s.Get(outer))]));
        services.AddSingleton(new SinkCursorNames(outer.GetServices<SinkCursorSource>().SelectMany(s => s.Get(outer))));

        var app = builder.Build();
        // Before any endpoint runs: everything but the probes (and /metrics if public) needs the token.
        var auth = new TokenAuthMiddleware(options, app.Services.GetRequiredService<ILogger<TokenAuthMiddleware>>());
        app.Use(auth.InvokeAsync);
        HealthEndpoints.Map(app);
        MetricsEndpoint.Map(app);
        StatusEndpoint.Map(app);
        StatusPage.Map(app);

        var api = app.MapGroup("/api/v1");
        IngestHandler.Map(api);
        TopicsEndpoint.Map(api);
        RecordsHandler.Map(api);
        CursorHandler.Map(api);
        return app;
    }
}

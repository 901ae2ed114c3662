using System.Globalization;
using EdgeStream.Forwarding;
using EdgeStream.Log;
using EdgeStream.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace EdgeStream.Host.Run;

/// <summary>Builds and runs the generic host behind <c>edgestream run</c> (and <c>demo</c>).</summary>
internal static partial class RunHost
{
    public static async Task<int> RunAsync(RunArguments arguments, CancellationToken cancellationToken)
    {
        var builder = CreateBuilder(arguments, extraSettings: null);
        if (builder is null)
        {
            return 2;
        }
        return await RunAsync(builder, afterStart: null, cancellationToken);
    }

    /// <summary>
    /// The configured builder: appsettings.json, appsettings.{Environment}.json, <c>--config</c>, environment variables
    /// <c>EDGESTREAM__*</c>, then the command-line flags, then <paramref name="extraSettings"/> (the demo's).
    /// Null (after printing why) when a flag is invalid.
    /// </summary>
    public static WebApplicationBuilder? CreateBuilder(RunArguments arguments, IReadOnlyDictionary<string, string?>? extraSettings)
    {
        // The only host: admin HTTP runs on its Kestrel, with the same services as every other stage.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            // Hosting startup would load assemblies by name and scan them for attributes: no reflection at start-up.
            Args = ["--preventHostingStartup=true", .. arguments.Rest],
        });
        // ASP.NET Core logs every request at Information: behind a Prometheus scrape and a pull job polling each second
        // that is hundreds of thousands of journal lines a day on an SD card, burying what matters. Its warnings still
        // show; as the first source, any configuration (appsettings.json, EDGESTREAM__…) can turn the requests back on.
        ((IConfigurationBuilder)builder.Configuration).Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = [new("Logging:LogLevel:Microsoft.AspNetCore", "Warning")],
        });
        if (arguments.ConfigFile is not null)
        {
            builder.Configuration.AddJsonFile(arguments.ConfigFile, optional: false, reloadOnChange: false);
        }
        builder.Configuration.AddEnvironmentVariables("EDGESTREAM__");
        var overrides = new Dictionary<string, string?>();
        if (arguments.DataDirectory is not null)
        {
            overrides["Log:DataDirectory"] = arguments.DataDirectory;
        }
        if (arguments.MqttPort is not null)
        {
            overrides["Mqtt:Port"] = arguments.MqttPort.Value.ToString(CultureInfo.InvariantCulture);
        }
        if (arguments.HttpPort is not null)
        {
            overrides["Http:Port"] = arguments.HttpPort.Value.ToString(CultureInfo.InvariantCulture);
        }
        var sinkIndex = builder.Configuration.GetSection("Forwarding:Sinks").GetChildren().Count();
        foreach (var uri in arguments.Sinks)
        {
            SinkOptions sink;
            try
            {
                sink = SinkUri.Parse(uri);
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"edgestream: --sink: {e.Message}");
                return null;
            }
            var prefix = $"Forwarding:Sinks:{sinkIndex++}:";
            overrides[prefix + "Name"] = sink.Name;
            overrides[prefix + "Type"] = sink.Type;
            foreach (var (key, value) in sink.Settings)
            {
                overrides[prefix + "Settings:" + key] = value;
            }
        }
        foreach (var (key, value) in extraSettings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }
        builder.Configuration.AddInMemoryCollection(overrides);
        return builder;
    }

    /// <summary>
    /// Opens the log, adds every pipeline stage and runs until stopped. Returns 0 after a clean stop, 1 when a stage
    /// crashed (so systemd's Restart=on-failure restarts the service), 2 when the configuration is invalid.
    /// </summary>
    public static async Task<int> RunAsync(WebApplicationBuilder builder, Func<IHost, LogStore, CancellationToken, Task>? afterStart, CancellationToken cancellationToken)
    {
        ThreadPoolFloor.Apply();
        try
        {
            AddStages(builder);
        }
        catch (Exception e) when (ConfigurationFailures(e) is { } failures)
        {
            // Some stages read settings while registering: a value of the wrong type fails here, not at validation.
            return await InvalidConfigurationAsync(failures);
        }

        // Disposed last: the container closes the log after every stage has stopped.
        await using var host = builder.Build();
        return await RunBuiltAsync(host, afterStart, cancellationToken);
    }

    private static void AddStages(WebApplicationBuilder builder)
    {
        HostSettings.Register(builder.Services, builder.Configuration);
        builder.Services.AddEdgeStreamLog(builder.Configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSystemd();
        // Under systemd, AddSystemd forces the journal's console format; an explicit Logging:Console:FormatterName
        // (json, for Fluent Bit and journald field extraction) must still win.
        if (builder.Configuration["Logging:Console:FormatterName"] is { Length: > 0 } formatter)
        {
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.FormatterName = formatter);
        }
        builder.Services.AddSensorIngest(builder.Configuration);
        if (UsesSimulatedSensors(builder.Configuration))
        {
            builder.Services.AddSimulatedSensorHardware();
        }
        builder.Services.AddMqttIngest(builder.Configuration);
        builder.Services.AddForwarding(builder.Configuration);
        builder.Services.AddKafkaSink().AddMqttSink().AddNatsSink().AddHttpSink();
        builder.Services.AddEdgeStreamHttp(builder.Configuration);
        builder.Services.AddEdgeStreamStatus("sinks", sp => sp.GetRequiredService<ForwardingEngine>().GetStatus().Sinks, StatusJsonContext.Default.IReadOnlyListSinkStatus);
        builder.Services.AddMqttSinkLag(sp => sp.GetRequiredService<ForwardingEngine>().GetStatus().Sinks.Select(s => new EdgeStream.Ingest.Mqtt.SinkLag(s.Name, s.Partitions.Sum(p => p.LagRecords))));
        builder.Services.AddEdgeStreamSecrets(_ => ConfigurationSecrets.From(builder.Configuration));
        builder.Services.AddEdgeStreamSinkCursors(sp => sp.GetRequiredService<IOptions<ForwardingOptions>>().Value.Sinks.Select(s => s.Name));
        builder.Services.AddEdgeStreamStatus("sensors", sp => sp.GetRequiredService<EdgeStream.Ingest.Sensors.Diagnostics.SensorStatusBoard>().Snapshot(), StatusJsonContext.Default.IReadOnlyListSensorStatus);
        builder.Services.AddProcessing(builder.Configuration).AddEdgeStreamStatus("rules", sp => sp.GetProcessingStatus(), StatusJsonContext.Default.IReadOnlyListRuleStatus);
        if (SystemdHelpers.IsSystemdService())
        {
            builder.Services.AddHostedService<SystemdWatchdog>();
        }
    }

    private static async Task<int> RunBuiltAsync(WebApplication host, Func<IHost, LogStore, CancellationToken, Task>? afterStart, CancellationToken cancellationToken)
    {
        host.MapEdgeStreamHttp();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EdgeStream.Host");
        try
        {
            // Every section's errors at once, before the log opens (a recovery scan can take a while).
            // Before validation: a misspelt key is often why a value is missing or out of range.
            foreach (var key in host.Services.GetKeyedServices<IReadOnlyList<string>>(UnknownSettings.ServiceKey).SelectMany(k => k))
            {
                UnknownSetting(logger, key);
            }
            host.Services.GetService<IStartupValidator>()?.Validate();
            var store = await host.Services.GetRequiredService<LogOpener>().OpenAsync(cancellationToken);
            try
            {
                await host.StartAsync(cancellationToken);
                StartupMemory.Release();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // SIGTERM while starting: stop what started, then the log closes cleanly on the way out.
                await host.StopAsync(CancellationToken.None);
                return 0;
            }
            if (afterStart is not null)
            {
                await afterStart(host, store, cancellationToken);
            }
            await host.WaitForShutdownAsync(cancellationToken);
        }
        catch (Exception e) when (ConfigurationFailures(e) is { } failures)
        {
            return await InvalidConfigurationAsync(failures);
        }
        catch (LogException e)
        {
            StartFailed(logger, e.Message);
            return 1;
        }
        catch (IOException e) when (!host.Lifetime.ApplicationStarted.IsCancellationRequested)
        {
            // A listener that cannot bind (port in use, address not on this machine).
            StartFailed(logger, e.Message);
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // SIGTERM while the log was still opening (recovery): nothing started, nothing to stop.
            return 0;
        }
        var crashed = host.Services.GetServices<IHostedService>().OfType<BackgroundService>()
            .Where(s => s.ExecuteTask is { IsFaulted: true })
            .Select(s => s.GetType().Name)
            .ToList();
        if (crashed.Count > 0)
        {
            StageCrashed(logger, string.Join(", ", crashed));
            return 1;
        }
        return 0;
    }

    /// <summary>
    /// The failures of every invalid options section in <paramref name="e"/> (one section throws
    /// <see cref="OptionsValidationException"/>, several an <see cref="AggregateException"/> of them), or the value the
    /// binder could not convert (<see cref="BinderFailure"/>), or null.
    /// </summary>
    private static IReadOnlyList<string>? ConfigurationFailures(Exception e) => e switch
    {
        OptionsValidationException v => [.. v.Failures],
        AggregateException a when a.InnerExceptions.Count > 0 && a.InnerExceptions.All(i => i is OptionsValidationException)
            => [.. a.InnerExceptions.SelectMany(i => ((OptionsValidationException)i).Failures)],
        _ when BinderFailure.Describe(e) is { } failure => [failure],
        _ => null,
    };

    private static async Task<int> InvalidConfigurationAsync(IReadOnlyList<string> failures)
    {
        await Console.Error.WriteLineAsync($"edgestream: invalid configuration: {SecretRedaction.Redact(string.Join("; ", failures))}");
        return 2;
    }

    /// <summary>Whether any <c>Sensors</c> entry says <c>Driver: simulated</c> (the demo's do).</summary>
    private static bool UsesSimulatedSensors(IConfiguration configuration)
        => configuration.GetSection("Sensors").GetChildren().Any(s => string.Equals(s["Driver"]?.Trim(), "simulated", StringComparison.OrdinalIgnoreCase));

    [LoggerMessage(10, LogLevel.Critical, "EdgeStream stopped because {Stages} crashed; exiting with status 1 so the service manager restarts it")]
    private static partial void StageCrashed(ILogger logger, string stages);

    [LoggerMessage(11, LogLevel.Critical, "EdgeStream could not start: {Reason}")]
    private static partial void StartFailed(ILogger logger, string reason);

    // A warning, not a start failure: a key a later version dropped must not stop an unattended box after an upgrade.
    [LoggerMessage(12, LogLevel.Warning, "Configuration key {Key} is not a setting of EdgeStream and has no effect; check its spelling and place")]
    private static partial void UnknownSetting(ILogger logger, string key);
}

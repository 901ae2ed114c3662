using System.Globalization;
using EdgeStream.Forwarding;
using EdgeStream.Log;
using Microsoft.Extensions.Configuration;
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
    public static HostApplicationBuilder? CreateBuilder(RunArguments arguments, IReadOnlyDictionary<string, string?>? extraSettings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = arguments.Rest,
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
    public static async Task<int> RunAsync(HostApplicationBuilder builder, Func<IHost, LogStore, CancellationToken, Task>? afterStart, CancellationToken cancellationToken)
    {
        var logOptions = new LogOptions();
        builder.Configuration.GetSection("Log").Bind(logOptions);
        try
        {
            logOptions.Validate();
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"edgestream: invalid configuration: {e.Message}");
            return 2;
        }
        if (ShutdownTimeoutError(builder.Configuration) is { } timeoutError)
        {
            await Console.Error.WriteLineAsync($"edgestream: invalid configuration: {timeoutError}");
            return 2;
        }

        // The log opens with the host's own logging, so it is registered through a holder filled in before start.
        var holder = new StoreHolder();
        builder.Services.AddSingleton(sp => holder.Store ?? throw new InvalidOperationException("The log is not open yet."));
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
        builder.Services.AddEdgeStreamStatus("sinks", sp => sp.GetRequiredService<ForwardingEngine>().GetStatus().Sinks);
        builder.Services.AddEdgeStreamSecrets(_ => ConfigurationSecrets.From(builder.Configuration));
        builder.Services.AddEdgeStreamSinkCursors(sp => sp.GetRequiredService<IOptions<ForwardingOptions>>().Value.Sinks.Select(s => s.Name));
        builder.Services.AddEdgeStreamStatus("sensors", sp => sp.GetRequiredService<EdgeStream.Ingest.Sensors.Diagnostics.SensorStatusBoard>().Snapshot());
        builder.Services.AddProcessing(builder.Configuration).AddEdgeStreamStatus("rules", sp => sp.GetProcessingStatus());
        if (SystemdHelpers.IsSystemdService())
        {
            builder.Services.AddHostedService<SystemdWatchdog>();
        }

        var host = builder.Build();
        await using var disposeHost = (IAsyncDisposable)host;
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EdgeStream.Host");
        try
        {
            await using var store = await LogStore.OpenAsync(logOptions, host.Services.GetRequiredService<ILoggerFactory>(), TimeProvider.System, cancellationToken);
            holder.Store = store;
            try
            {
                await host.StartAsync(cancellationToken);
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
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync($"edgestream: invalid configuration: {SecretRedaction.Redact(string.Join("; ", e.Failures))}");
            return 2;
        }
        catch (LogException e)
        {
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
    /// The generic host's stop bound, <c>shutdownTimeoutSeconds</c> (default 30): SIGTERM lets every stage finish
    /// within it, then the log closes cleanly. The host ignores a value it cannot parse; here that is an error.
    /// </summary>
    private static string? ShutdownTimeoutError(IConfiguration configuration)
        => configuration[ShutdownTimeoutKey] is { } text
           && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds is < 1 or > 3600)
            ? $"{ShutdownTimeoutKey} must be a whole number of seconds between 1 and 3600 (was '{text}')."
            : null;

    private const string ShutdownTimeoutKey = "shutdownTimeoutSeconds";

    /// <summary>Whether any <c>Sensors</c> entry says <c>Driver: simulated</c> (the demo's do).</summary>
    private static bool UsesSimulatedSensors(IConfiguration configuration)
        => configuration.GetSection("Sensors").GetChildren().Any(s => string.Equals(s["Driver"]?.Trim(), "simulated", StringComparison.OrdinalIgnoreCase));

    [LoggerMessage(10, LogLevel.Critical, "EdgeStream stopped because {Stages} crashed; exiting with status 1 so the service manager restarts it")]
    private static partial void StageCrashed(ILogger logger, string stages);

    [LoggerMessage(11, LogLevel.Critical, "EdgeStream could not start: {Reason}")]
    private static partial void StartFailed(ILogger logger, string reason);

    private sealed class StoreHolder
    {
        public LogStore? Store { get; set; }
    }
}

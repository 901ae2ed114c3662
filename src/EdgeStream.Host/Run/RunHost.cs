using EdgeStream.Log;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Host.Run;

/// <summary>Builds and runs the generic host behind <c>edgestream run</c>.</summary>
internal static class RunHost
{
    public static async Task<int> RunAsync(RunArguments arguments, CancellationToken cancellationToken)
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
        var overrides = new Dictionary<string, string?>();
        if (arguments.DataDirectory is not null)
        {
            overrides["Log:DataDirectory"] = arguments.DataDirectory;
        }
        if (arguments.MqttPort is not null)
        {
            overrides["Mqtt:Port"] = arguments.MqttPort.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (arguments.HttpPort is not null)
        {
            overrides["Http:Port"] = arguments.HttpPort.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Configuration.AddEnvironmentVariables("EDGESTREAM__");
        builder.Services.AddSystemd();

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

        using var bootLoggers = LoggerFactory.Create(l => l.AddConsole());
        await using var store = await LogStore.OpenAsync(logOptions, bootLoggers, TimeProvider.System, cancellationToken);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(TimeProvider.System);

        // Pipeline stages register here, one line each.
        // (ingest: MQTT) (ingest: sensors) (forwarding)
        builder.Services.AddSensorIngest(builder.Configuration);
        builder.Services.AddMqttIngest(builder.Configuration);
        builder.Services.AddForwarding(builder.Configuration);

        using var host = builder.Build();
        await host.RunAsync(cancellationToken);
        return 0;
    }
}

using System.Diagnostics.Metrics;
using EdgeStream.Ingest.Mqtt.Hosting;
using EdgeStream.Validation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers MQTT ingest with the generic host.</summary>
public static class MqttIngestServiceCollectionExtensions
{
    /// <summary>
    /// Adds MQTT ingest configured by the <c>Mqtt</c> section of <paramref name="configuration"/>: the embedded broker
    /// (unless <c>Mqtt:Port</c> and <c>Mqtt:Tls:Port</c> are both 0) and one subscriber per <c>Mqtt:Upstreams</c> entry.
    /// Options are validated at start. Requires <c>EdgeStream.Log.LogStore</c> (and optionally <see cref="TimeProvider"/>)
    /// in the container.
    /// </summary>
    public static IServiceCollection AddMqttIngest(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(EdgeStream.Ingest.Mqtt.MqttIngestOptions.SectionName);
        services.AddOptions<EdgeStream.Ingest.Mqtt.MqttIngestOptions>().Bind(section).ValidateOnStart();
        UnknownSettings.Register(services, section, UnknownSettings.Probe(() => section.Get<EdgeStream.Ingest.Mqtt.MqttIngestOptions>(UnknownSettings.Strict)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EdgeStream.Ingest.Mqtt.MqttIngestOptions>, MqttIngestOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddIngestWriter(EdgeStream.Ingest.Mqtt.MqttIngestOptions.IngestSource);
        services.TryAddSingleton(sp => new EdgeStream.Ingest.Mqtt.MqttIngestMetrics(sp.GetService<IMeterFactory>()));

        // Which services run depends on configuration read once here, as the host reads it before building.
        var probe = new EdgeStream.Ingest.Mqtt.MqttIngestOptions();
        section.Bind(probe);
        if (probe.Port != 0 || probe.Tls.Port != 0)
        {
            services.AddHostedService<EmbeddedBrokerService>();
        }
        if (probe.Upstreams.Count > 0)
        {
            services.AddHostedService<UpstreamSubscriberService>();
        }
        return services;
    }

    /// <summary>
    /// Supplies the sinks' forwarding lag to the embedded broker's <c>$SYS/broker/edgestream/sinks/{sink}/lag</c>
    /// statistics. <paramref name="lags"/> is called on the statistics loop every <c>Mqtt:SysInterval</c> with the
    /// service provider; a throwing call leaves the lag out of that round (logged) and the other statistics go out.
    /// </summary>
    public static IServiceCollection AddMqttSinkLag(this IServiceCollection services, Func<IServiceProvider, IEnumerable<EdgeStream.Ingest.Mqtt.SinkLag>> lags)
    {
        ArgumentNullException.ThrowIfNull(lags);
        services.AddSingleton<EdgeStream.Ingest.Mqtt.ISinkLagSource>(sp => new DelegateSinkLagSource(sp, lags));
        return services;
    }

    private sealed class DelegateSinkLagSource(IServiceProvider services, Func<IServiceProvider, IEnumerable<EdgeStream.Ingest.Mqtt.SinkLag>> lags) : EdgeStream.Ingest.Mqtt.ISinkLagSource
    {
        public IEnumerable<EdgeStream.Ingest.Mqtt.SinkLag> GetSinkLags() => lags(services);
    }
}

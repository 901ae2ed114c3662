using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace EdgeStream.FirmwareSim.Tests;

/// <summary>An MQTT 5 subscriber (QoS 1) that records what it receives, in arrival order.</summary>
internal sealed class Subscriber : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly ConcurrentQueue<Received> _received = new();

    public sealed record Received(string Topic, byte[] Payload, string? ContentType, IReadOnlyDictionary<string, string> Properties);

    public IReadOnlyList<Received> Messages => [.. _received];

    public static async Task<Subscriber> StartAsync(int port, string filter)
    {
        var s = new Subscriber();
        s._client.ApplicationMessageReceivedAsync += e =>
        {
            var m = e.ApplicationMessage;
            var props = (m.UserProperties ?? []).ToDictionary(p => p.Name, p => p.ReadValueAsString(), StringComparer.Ordinal);
            s._received.Enqueue(new Received(m.Topic, m.Payload.ToArray(), m.ContentType, props));
            return Task.CompletedTask;
        };
        await s._client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
            .WithClientId("sub-" + Guid.NewGuid().ToString("N")[..8]).WithProtocolVersion(MqttProtocolVersion.V500).Build());
        await s._client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build());
        return s;
    }

    /// <summary>Waits (bounded) until at least <paramref name="count"/> messages arrived; returns them.</summary>
    public async Task<IReadOnlyList<Received>> WaitForAsync(long count, TimeSpan? timeout = null)
    {
        await Poll.UntilAsync(() => _received.Count >= count, timeout ?? TimeSpan.FromSeconds(15), $"{count} messages (have {_received.Count})");
        return Messages;
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync();
        }
        _client.Dispose();
    }
}

internal static class ReceivedExtensions
{
    public static string Text(this Subscriber.Received m) => Encoding.UTF8.GetString(m.Payload);
}

using System.Text;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;

namespace EdgeStream.Ingest.Mqtt.Tests.Mqtt5;

/// <summary>
/// A bare MQTT 3.1.1 client for exchanges real client libraries never produce on demand (a QoS 2 retransmission with
/// DUP before PUBREL): the QoS 2 handshake on top of <see cref="RawMqtt"/>'s socket and packet builders.
/// </summary>
internal sealed class RawMqtt311Client : IAsyncDisposable
{
    private readonly RawMqtt _raw;

    private RawMqtt311Client(RawMqtt raw) => _raw = raw;

    public static async Task<RawMqtt311Client> ConnectAsync(int port, string clientId, bool cleanSession)
    {
        var client = new RawMqtt311Client(await RawMqtt.OpenAsync(port));
        await client.SendAsync(RawMqtt.Connect(clientId, level: 4, clean: cleanSession));
        var (type, body) = await client.ReadAsync();
        Assert.Equal(0x20, type);
        Assert.Equal(0, body[1]);
        return client;
    }

    public Task PublishQos2Async(string topic, string payload, ushort packetId, bool dup)
        => SendAsync(RawMqtt.Packet((byte)(0x34 | (dup ? 0x08 : 0)), [.. RawMqtt.Str(topic), (byte)(packetId >> 8), (byte)packetId, .. Encoding.UTF8.GetBytes(payload)]));

    public Task PubRelAsync(ushort packetId) => SendAsync(RawMqtt.Packet(0x62, [(byte)(packetId >> 8), (byte)packetId]));

    /// <summary>Reads the next packet and checks it is <paramref name="type"/> for <paramref name="packetId"/>.</summary>
    public async Task ExpectAsync(byte type, ushort packetId)
    {
        var (actual, body) = await ReadAsync();
        Assert.Equal(type, actual & 0xF0);
        Assert.Equal(packetId, (ushort)((body[0] << 8) | body[1]));
    }

    public ValueTask DisposeAsync()
    {
        _raw.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<(byte Type, byte[] Body)> ReadAsync()
        => await _raw.ReadPacketAsync() ?? throw new InvalidOperationException("the broker closed the connection or sent nothing within 10 s");

    private async Task SendAsync(byte[] packet) => Assert.True(await _raw.TrySendAsync(packet), "the broker closed the connection");
}

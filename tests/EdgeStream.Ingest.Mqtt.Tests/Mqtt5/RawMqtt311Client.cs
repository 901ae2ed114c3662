using System.Text;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;

namespace EdgeStream.Ingest.Mqtt.Tests.Mqtt5;

/// <summary>
/// A bare MQTT 3.1.1 (or, with <c>level: 5</c>, MQTT 5) client for exchanges real client libraries never produce on
/// demand (a QoS 2 retransmission with DUP before PUBREL, also after the broker restarted): the QoS 2 handshake on top
/// of <see cref="RawMqtt"/>'s socket and packet builders.
/// </summary>
internal sealed class RawMqtt311Client : IAsyncDisposable
{
    /// <summary>The packet types <see cref="ExpectAsync"/> is asked for.</summary>
    public const byte PubRec = 0x50;

    /// <inheritdoc cref="PubRec"/>
    public const byte PubComp = 0x70;

    private readonly RawMqtt _raw;
    private readonly int _level;

    private RawMqtt311Client(RawMqtt raw, int level)
    {
        _raw = raw;
        _level = level;
    }

    /// <summary>Connects (protocol level 4 = 3.1.1 or 5); checks the CONNACK accepts and returns its Session Present flag.</summary>
    public static async Task<(RawMqtt311Client Client, bool SessionPresent)> ConnectWithSessionAsync(int port, string clientId, bool cleanSession, int level = 4)
    {
        var client = new RawMqtt311Client(await RawMqtt.OpenAsync(port), level);
        await client.SendAsync(RawMqtt.Connect(clientId, level, clean: cleanSession));
        var (type, body) = await client.ReadAsync();
        Assert.Equal(0x20, type);
        Assert.Equal(0, body[1]);
        return (client, (body[0] & 1) != 0);
    }

    public static async Task<RawMqtt311Client> ConnectAsync(int port, string clientId, bool cleanSession, int level = 4)
        => (await ConnectWithSessionAsync(port, clientId, cleanSession, level)).Client;

    public Task PublishQos2Async(string topic, string payload, ushort packetId, bool dup)
        => SendAsync(RawMqtt.Packet((byte)(0x34 | (dup ? 0x08 : 0)),
            [.. RawMqtt.Str(topic), (byte)(packetId >> 8), (byte)packetId, .. (byte[])(_level == 5 ? [0] : []), .. Encoding.UTF8.GetBytes(payload)]));

    public Task PubRelAsync(ushort packetId) => SendAsync(RawMqtt.Packet(0x62, [(byte)(packetId >> 8), (byte)packetId]));

    /// <summary>The whole QoS 2 exchange, each answer checked: PUBLISH, PUBREC, PUBREL, PUBCOMP.</summary>
    public async Task PublishQos2ExchangeAsync(string topic, string payload, ushort packetId, bool dup)
    {
        await PublishQos2Async(topic, payload, packetId, dup);
        await ExpectAsync(PubRec, packetId);
        await ReleaseAsync(packetId);
    }

    /// <summary>PUBREL, then the PUBCOMP checked.</summary>
    public async Task ReleaseAsync(ushort packetId)
    {
        await PubRelAsync(packetId);
        await ExpectAsync(PubComp, packetId);
    }

    /// <summary>
    /// Reads the next packet and checks it is <paramref name="type"/> for <paramref name="packetId"/> with reason code
    /// success (below 0x80, e.g. 0x10 no matching subscribers; MQTT 5 omits the code when it is 0).
    /// </summary>
    public async Task ExpectAsync(byte type, ushort packetId)
    {
        var (actual, body) = await ReadAsync();
        Assert.Equal(type, actual & 0xF0);
        Assert.Equal(packetId, (ushort)((body[0] << 8) | body[1]));
        Assert.True(body.Length < 3 || body[2] < 0x80, $"reason code 0x{(body.Length > 2 ? body[2] : 0):X2}");
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

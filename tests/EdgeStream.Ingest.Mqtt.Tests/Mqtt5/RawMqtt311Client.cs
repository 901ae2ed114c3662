using System.Net.Sockets;
using System.Text;

namespace EdgeStream.Ingest.Mqtt.Tests.Mqtt5;

/// <summary>
/// A bare MQTT 3.1.1 client over a socket, for exchanges real client libraries never produce on demand (a QoS 2
/// retransmission with DUP before PUBREL). Packets are short, so one-byte remaining lengths suffice.
/// </summary>
internal sealed class RawMqtt311Client : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private RawMqtt311Client(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static async Task<RawMqtt311Client> ConnectAsync(int port, string clientId, bool cleanSession)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port, TestContext.Current.CancellationToken);
        var client = new RawMqtt311Client(tcp);
        var id = Encoding.UTF8.GetBytes(clientId);
        byte[] body = [0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, (byte)(cleanSession ? 0x02 : 0x00), 0, 60, 0, (byte)id.Length, .. id];
        await client.SendAsync(0x10, body);
        var connAck = await client.ReadAsync();
        Assert.Equal([0x20, 0x02], connAck[..2]);
        Assert.Equal(0, connAck[3]);
        return client;
    }

    public Task PublishQos2Async(string topic, string payload, ushort packetId, bool dup)
    {
        var t = Encoding.UTF8.GetBytes(topic);
        byte[] body = [0, (byte)t.Length, .. t, (byte)(packetId >> 8), (byte)packetId, .. Encoding.UTF8.GetBytes(payload)];
        return SendAsync((byte)(0x34 | (dup ? 0x08 : 0)), body);
    }

    public Task PubRelAsync(ushort packetId) => SendAsync(0x62, [(byte)(packetId >> 8), (byte)packetId]);

    /// <summary>Reads one packet (fixed header included) with a bound.</summary>
    public async Task<byte[]> ReadAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        var header = new byte[2];
        await _stream.ReadExactlyAsync(header, cts.Token);
        Assert.True(header[1] < 128, "test packets are short");
        var rest = new byte[header[1]];
        await _stream.ReadExactlyAsync(rest, cts.Token);
        return [.. header, .. rest];
    }

    /// <summary>Reads the next packet and checks it is <paramref name="type"/> for <paramref name="packetId"/>.</summary>
    public async Task ExpectAsync(byte type, ushort packetId)
    {
        var p = await ReadAsync();
        Assert.Equal(type, p[0] & 0xF0);
        Assert.Equal(packetId, (ushort)((p[2] << 8) | p[3]));
    }

    private async Task SendAsync(byte first, byte[] body)
    {
        Assert.True(body.Length < 128, "test packets are short");
        await _stream.WriteAsync((byte[])[first, (byte)body.Length, .. body], TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}

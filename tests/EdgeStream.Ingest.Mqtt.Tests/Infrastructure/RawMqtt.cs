using System.Net.Sockets;
using System.Text;

namespace EdgeStream.Ingest.Mqtt.Tests.Infrastructure;

/// <summary>
/// A raw TCP MQTT peer for hostile input: hand-built packets (CONNECT, PUBLISH, lying fixed headers), and reads that
/// report whether and how the broker answered or closed. Every read is bounded by a deadline.
/// </summary>
internal sealed class RawMqtt : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private RawMqtt(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<RawMqtt> OpenAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", port, TestContext.Current.CancellationToken);
        return new RawMqtt(socket);
    }

    /// <summary>Sends bytes; false if the broker has closed the connection meanwhile.</summary>
    public async Task<bool> TrySendAsync(byte[] bytes)
    {
        try
        {
            await _stream.WriteAsync(bytes, TestContext.Current.CancellationToken);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Reads one packet (type byte and body), or null when the connection closes or the deadline passes.</summary>
    public async Task<(byte Type, byte[] Body)?> ReadPacketAsync(TimeSpan? limit = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(limit ?? TimeSpan.FromSeconds(10));
        try
        {
            var header = new byte[1];
            if (!await ReadExactlyAsync(header, cts.Token))
            {
                return null;
            }
            int length = 0, multiplier = 1;
            var b = new byte[1];
            do
            {
                if (!await ReadExactlyAsync(b, cts.Token))
                {
                    return null;
                }
                length += (b[0] & 0x7F) * multiplier;
                multiplier *= 128;
            }
            while ((b[0] & 0x80) != 0);
            var body = new byte[length];
            return await ReadExactlyAsync(body, cts.Token) ? (header[0], body) : null;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            return null;
        }
    }

    /// <summary>True once the broker has closed the connection (reading and discarding anything it sends), false at the deadline.</summary>
    public async Task<bool> ClosedByBrokerAsync(TimeSpan limit)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(limit);
        var buffer = new byte[4096];
        try
        {
            while (await _stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true; // reset
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await _stream.ReadAsync(buffer.AsMemory(read), ct);
            if (n == 0)
            {
                return false;
            }
            read += n;
        }
        return true;
    }

    public void Dispose() => _stream.Dispose();

    // ---- packet builders ----

    public static byte[] RemainingLength(long value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value % 128);
            value /= 128;
            bytes.Add(value > 0 ? (byte)(b | 0x80) : b);
        }
        while (value > 0);
        return [.. bytes];
    }

    /// <summary>A fixed header that claims <paramref name="remainingLength"/> body bytes.</summary>
    public static byte[] Header(byte type, long remainingLength) => [type, .. RemainingLength(remainingLength)];

    public static byte[] Packet(byte type, byte[] body) => [.. Header(type, body.Length), .. body];

    public static byte[] Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        return [(byte)(b.Length >> 8), (byte)b.Length, .. b];
    }

    /// <summary>CONNECT for protocol level 4 (3.1.1) or 5, with MQTT 5 <paramref name="properties"/> (encoded, without their length).</summary>
    public static byte[] Connect(string clientId, int level = 5, bool clean = true, string? user = null, string? password = null, string protocolName = "MQTT",
        byte[]? properties = null)
    {
        var flags = (byte)((clean ? 0x02 : 0) | (user is not null ? 0x80 : 0) | (password is not null ? 0x40 : 0));
        var body = new List<byte>();
        body.AddRange(Str(protocolName));
        body.Add((byte)level);
        body.Add(flags);
        body.AddRange([0, 60]);
        if (level == 5)
        {
            body.AddRange(RemainingLength(properties?.Length ?? 0));
            body.AddRange(properties ?? []);
        }
        body.AddRange(Str(clientId));
        if (user is not null)
        {
            body.AddRange(Str(user));
        }
        if (password is not null)
        {
            body.AddRange(Str(password));
        }
        return Packet(0x10, [.. body]);
    }

    /// <summary>An MQTT 5 QoS 1 PUBLISH, optionally with a topic alias property (an empty topic uses the alias alone).</summary>
    public static byte[] Publish5(string topic, ushort packetId, byte[] payload, ushort topicAlias = 0)
    {
        var body = new List<byte>();
        body.AddRange(Str(topic));
        body.AddRange([(byte)(packetId >> 8), (byte)packetId]);
        if (topicAlias != 0)
        {
            body.AddRange([3, 0x23, (byte)(topicAlias >> 8), (byte)topicAlias]);
        }
        else
        {
            body.Add(0);
        }
        body.AddRange(payload);
        return Packet(0x32, [.. body]);
    }
}

using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EdgeStream.Bench.Mqtt;

/// <summary>
/// The same load as <see cref="LoadGenerator"/>, written as MQTT 5 bytes on plain sockets: one loop per connection
/// that writes pre-encoded PUBLISH packets and reads PUBACKs, refilling the window once per socket read. It costs the
/// client a fraction of what MQTTnet's client does per message, so on a small machine the brokers, not the client,
/// decide the rate (MQTTnet's client took more than a core of the bench's two here).
/// </summary>
internal static class WireLoadGenerator
{
    public static async Task<LoadResult> RunAsync(int port, int connections, int window, int payloadBytes, TimeSpan duration)
    {
        var payload = Payload(payloadBytes);
        var connected = await ConnectAllAsync(port, connections, "wire");
        var warmupEnd = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
        var end = warmupEnd + (long)(Stopwatch.Frequency * duration.TotalSeconds);
        // A broker that stops answering fails the case instead of hanging the bench.
        using var deadline = new CancellationTokenSource(duration + TimeSpan.FromSeconds(60));
        var runs = connected.Select((s, i) => PublishQos1Async(s, Topic(i), payload, window, warmupEnd, end, deadline.Token)).ToArray();
        var results = await Task.WhenAll(runs);
        var all = results.SelectMany(r => r.Latencies).ToArray();
        Array.Sort(all);
        double Pct(double p) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(p * all.Length))];
        return new LoadResult(all.Length / duration.TotalSeconds, Pct(0.50), Pct(0.99), results.Sum(r => r.Errors));
    }

    /// <summary>QoS 0 for the duration in writes of <paramref name="window"/> packets, then one QoS 1 barrier per connection (as <see cref="LoadGenerator.RunQos0Async"/>).</summary>
    public static async Task<LoadResult> RunQos0Async(int port, int connections, int window, int payloadBytes, TimeSpan duration)
    {
        var payload = Payload(payloadBytes);
        var connected = await ConnectAllAsync(port, connections, "wire0");
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(Stopwatch.Frequency * duration.TotalSeconds);
        using var deadline = new CancellationTokenSource(duration + TimeSpan.FromSeconds(60));
        var results = await Task.WhenAll(connected.Select((s, i) => PublishQos0Async(s, Topic(i), payload, window, end, deadline.Token)));
        var elapsed = Stopwatch.GetElapsedTime(start);
        return new LoadResult(results.Sum(r => r.Sent) / elapsed.TotalSeconds, double.NaN, double.NaN, results.Sum(r => r.Errors));
    }

    private static byte[] Payload(int bytes)
    {
        var payload = new byte[bytes];
        Random.Shared.NextBytes(payload);
        return payload;
    }

    private static string Topic(int connection) => $"bench/{connection}/data";

    private static async Task<Socket[]> ConnectAllAsync(int port, int connections, string prefix)
    {
        var sockets = new Socket[connections];
        for (var i = 0; i < connections; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            await socket.SendAsync(Connect($"{prefix}-{i}"));
            var connack = new byte[256];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var n = await ReadPacketAsync(socket, connack, timeout.Token);
            if (n < 4 || connack[0] != 0x20 || connack[3] != 0)
            {
                throw new InvalidOperationException($"CONNECT refused (packet 0x{connack[0]:x2}, reason 0x{(n >= 4 ? connack[3] : 0):x2})");
            }
            sockets[i] = socket;
        }
        return sockets;
    }

    private static async Task<(List<double> Latencies, long Errors)> PublishQos1Async(Socket socket, string topic, byte[] payload, int window, long warmupEnd, long end, CancellationToken cancellationToken)
    {
        using var _ = socket;
        var template = Publish(topic, payload, qos: 1);
        var sentAt = new long[65536];
        var latencies = new List<double>(1 << 16);
        var outgoing = new byte[template.Length * window];
        var incoming = new byte[64 * 1024];
        int buffered = 0, inFlight = 0;
        ushort nextId = 0;
        long errors = 0;
        int Fill(int count, long now)
        {
            for (var k = 0; k < count; k++)
            {
                nextId = nextId == ushort.MaxValue ? (ushort)1 : (ushort)(nextId + 1);
                var packet = outgoing.AsSpan(k * template.Length, template.Length);
                template.CopyTo(packet);
                BinaryPrimitives.WriteUInt16BigEndian(packet[(template.Length - payload.Length - 3)..], nextId);
                sentAt[nextId] = now;
            }
            inFlight += count;
            return count * template.Length;
        }
        try
        {
            await socket.SendAsync(outgoing.AsMemory(0, Fill(window, Stopwatch.GetTimestamp())), cancellationToken);
            while (inFlight > 0)
            {
                var read = await socket.ReceiveAsync(incoming.AsMemory(buffered), cancellationToken);
                if (read == 0)
                {
                    return (latencies, errors + inFlight);
                }
                buffered += read;
                var now = Stopwatch.GetTimestamp();
                var acked = 0;
                var offset = 0;
                while (TryFrame(incoming.AsSpan(offset, buffered - offset), out var length, out var bodyStart))
                {
                    var packet = incoming.AsSpan(offset, length);
                    offset += length;
                    if ((packet[0] & 0xF0) != 0x40)
                    {
                        throw new InvalidOperationException($"unexpected packet 0x{packet[0]:x2} (a DISCONNECT?)");
                    }
                    var id = BinaryPrimitives.ReadUInt16BigEndian(packet[bodyStart..]);
                    // No reason code (remaining length 2) is success; 0x10 "no matching subscribers" is success too.
                    var reason = length - bodyStart > 2 ? packet[bodyStart + 2] : (byte)0;
                    if (reason is not (0x00 or 0x10))
                    {
                        errors++;
                    }
                    else if (sentAt[id] >= warmupEnd && now <= end)
                    {
                        latencies.Add((now - sentAt[id]) * 1000.0 / Stopwatch.Frequency);
                    }
                    inFlight--;
                    acked++;
                }
                buffered -= offset;
                incoming.AsSpan(offset, buffered).CopyTo(incoming);
                if (acked > 0 && now < end)
                {
                    await socket.SendAsync(outgoing.AsMemory(0, Fill(acked, now)), cancellationToken);
                }
            }
            await socket.SendAsync(new byte[] { 0xE0, 0x00 });
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException or OperationCanceledException)
        {
            errors += Math.Max(1, inFlight);
        }
        return (latencies, errors);
    }

    private static async Task<(long Sent, long Errors)> PublishQos0Async(Socket socket, string topic, byte[] payload, int window, long end, CancellationToken cancellationToken)
    {
        using var _ = socket;
        var template = Publish(topic, payload, qos: 0);
        var burst = new byte[template.Length * window];
        for (var k = 0; k < window; k++)
        {
            template.CopyTo(burst, k * template.Length);
        }
        long sent = 0;
        try
        {
            while (Stopwatch.GetTimestamp() < end)
            {
                await socket.SendAsync(burst, cancellationToken);
                sent += window;
            }
            // The barrier: a broker acknowledges it only after it handled every earlier publish of this connection.
            var barrier = Publish(topic, payload, qos: 1);
            BinaryPrimitives.WriteUInt16BigEndian(barrier.AsSpan(barrier.Length - payload.Length - 3), 1);
            await socket.SendAsync(barrier, cancellationToken);
            var puback = new byte[256];
            var n = await ReadPacketAsync(socket, puback, cancellationToken);
            var ok = n >= 4 && (puback[0] & 0xF0) == 0x40 && (n == 4 || puback[4] is 0x00 or 0x10);
            await socket.SendAsync(new byte[] { 0xE0, 0x00 });
            return (sent, ok ? 0 : 1);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return (sent, 1);
        }
    }

    /// <summary>True when <paramref name="data"/> starts with a whole packet: its total length and where its body starts.</summary>
    private static bool TryFrame(ReadOnlySpan<byte> data, out int length, out int bodyStart)
    {
        length = bodyStart = 0;
        var remaining = 0;
        for (var i = 1; i < Math.Min(data.Length, 5); i++)
        {
            remaining |= (data[i] & 0x7F) << (7 * (i - 1));
            if ((data[i] & 0x80) == 0)
            {
                bodyStart = i + 1;
                length = bodyStart + remaining;
                return data.Length >= length;
            }
        }
        return false;
    }

    private static async Task<int> ReadPacketAsync(Socket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        var buffered = 0;
        while (true)
        {
            if (TryFrame(buffer.AsSpan(0, buffered), out var length, out _))
            {
                return length;
            }
            var read = await socket.ReceiveAsync(buffer.AsMemory(buffered), cancellationToken);
            if (read == 0)
            {
                return buffered;
            }
            buffered += read;
        }
    }

    /// <summary>MQTT 5 CONNECT: clean start, keep-alive 60 s, no properties.</summary>
    private static byte[] Connect(string clientId)
    {
        var id = Encoding.UTF8.GetBytes(clientId);
        var body = new List<byte> { 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 5, 0x02, 0, 60, 0, (byte)(id.Length >> 8), (byte)id.Length };
        body.AddRange(id);
        return Packet(0x10, body);
    }

    /// <summary>MQTT 5 PUBLISH, no properties; a QoS 1 packet's identifier sits just before the properties' length byte.</summary>
    private static byte[] Publish(string topic, byte[] payload, int qos)
    {
        var name = Encoding.UTF8.GetBytes(topic);
        var body = new List<byte> { (byte)(name.Length >> 8), (byte)name.Length };
        body.AddRange(name);
        if (qos > 0)
        {
            body.AddRange([0, 0]);
        }
        body.Add(0);
        body.AddRange(payload);
        return Packet((byte)(0x30 | (qos << 1)), body);
    }

    private static byte[] Packet(byte header, List<byte> body)
    {
        var packet = new List<byte> { header };
        var remaining = body.Count;
        do
        {
            var digit = (byte)(remaining & 0x7F);
            remaining >>= 7;
            packet.Add(remaining > 0 ? (byte)(digit | 0x80) : digit);
        }
        while (remaining > 0);
        packet.AddRange(body);
        return [.. packet];
    }
}

using System.Globalization;
using System.Net.Sockets;

namespace EdgeStream.Bench.Mqtt;

/// <summary>
/// The unauthenticated-memory attack of issue 11, against EdgeStream's broker and Mosquitto in the same run: N
/// connections each send a CONNECT fixed header claiming 256 MiB and stream bytes after it, while one good client
/// publishes QoS 1. Prints broker RSS before and after (and peak), connections the broker closed, and the good
/// client's throughput meanwhile.
/// </summary>
internal static class HostileBench
{
    private const long Claim = 268_435_455; // the largest remaining length MQTT can encode

    public static async Task<int> RunAsync(int attackers, int streamMiB, int seconds)
    {
        Console.WriteLine($"Hostile CONNECT bench: {attackers} connections each claiming 256 MiB and streaming up to {streamMiB} MiB; one good QoS 1 client for {seconds} s");
        string[] header = ["broker", "RSS before MiB", "RSS after MiB (peak)", "attackers closed", "good acked msg/s", "good errors"];
        var rows = new List<string[]>();
        await using (var edge = await ChildBroker.StartEdgeStreamAsync())
        {
            rows.Add(await MeasureAsync("EdgeStream", edge, attackers, streamMiB, seconds));
        }
        await using (var mosquitto = await ChildBroker.StartMosquittoAsync())
        {
            rows.Add(await MeasureAsync("Mosquitto 2 (defaults)", mosquitto, attackers, streamMiB, seconds));
        }
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        Console.WriteLine(string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))));
        foreach (var r in rows)
        {
            Console.WriteLine(string.Join("  ", r.Select((c, i) => c.PadRight(widths[i]))));
        }
        return 0;
    }

    private static async Task<string[]> MeasureAsync(string name, ChildBroker broker, int attackers, int streamMiB, int seconds)
    {
        var before = broker.RssMiB();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + 30));
        var attacks = Enumerable.Range(0, attackers).Select(_ => AttackAsync(broker.Port, streamMiB * 1024L * 1024, stop.Token)).ToList();
        var good = LoadGenerator.RunAsync(broker.Port, 1, 16, 64, TimeSpan.FromSeconds(seconds));
        var result = await good;
        var after = broker.RssMiB(); // measured while attackers that were not closed still hold their connections
        await stop.CancelAsync();
        var closed = (await Task.WhenAll(attacks)).Count(c => c);
        return [name, before, after, $"{closed}/{attackers}", result.MessagesPerSecond.ToString("F0", CultureInfo.InvariantCulture), result.Errors.ToString(CultureInfo.InvariantCulture)];
    }

    /// <summary>True if the broker closed the connection before the attacker gave up.</summary>
    private static async Task<bool> AttackAsync(int port, long streamBytes, CancellationToken stop)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync("127.0.0.1", port, stop);
            var head = new List<byte> { 0x10 };
            for (var v = Claim; v > 0; v /= 128)
            {
                head.Add((byte)(v >= 128 ? (v % 128) + 0x80 : v));
            }
            await socket.SendAsync(head.ToArray(), SocketFlags.None, stop);
            var closedByBroker = WaitClosedAsync(socket, stop);
            var chunk = new byte[16 * 1024];
            for (long sent = 0; sent < streamBytes && !closedByBroker.IsCompleted; sent += chunk.Length)
            {
                await socket.SendAsync(chunk, SocketFlags.None, stop);
            }
            return await closedByBroker;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return e is SocketException;
        }
    }

    private static async Task<bool> WaitClosedAsync(Socket socket, CancellationToken stop)
    {
        var buffer = new byte[256];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, stop) > 0)
            {
            }
            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

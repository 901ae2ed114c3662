using System.Net;
using System.Net.Sockets;
using MQTTnet;
using MQTTnet.Formatter;

namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>
/// Rounds of misbehaving clients against the broker, each bounded in count and time: raw sockets sending garbage, a
/// CONNECT fixed header claiming the largest remaining length (256 MiB) then trickling bytes, a connect/disconnect
/// flood, and wrong passwords for a configured user. Counts what happened; a wrong password that gets in is an
/// auth bypass. Thread-safe (rounds may not overlap, but counters are atomic).
/// </summary>
internal sealed class HostileClients(int mqttPort, string user, Random random)
{
    private const int GarbagePerRound = 3;
    private const int HugeClaimsPerRound = 2;
    private const int FloodPerRound = 40;
    private const int WrongPasswordsPerRound = 5;
    private static readonly TimeSpan TrickleFor = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan TrickleEvery = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan SocketTimeout = TimeSpan.FromSeconds(3);

    private int _rounds;
    private int _garbage;
    private int _garbageClosed;
    private int _hugeClaims;
    private int _hugeClaimsClosed;
    private int _flood;
    private int _floodAccepted;
    private int _wrongPasswords;
    private int _wrongPasswordsRefused;
    private int _authBypasses;

    public int Rounds => Volatile.Read(ref _rounds);

    /// <summary>A one-line summary of every counter.</summary>
    public string Summary =>
        $"{Rounds} rounds: garbage {_garbage} ({_garbageClosed} closed by the broker), huge CONNECT claims {_hugeClaims} ({_hugeClaimsClosed} closed " +
        $"before the trickle ended), connect/disconnect flood {_flood} ({_floodAccepted} accepted), wrong passwords {_wrongPasswords} ({_wrongPasswordsRefused} refused)";

    /// <summary>Connections with a wrong password that the broker accepted.</summary>
    public int AuthBypasses => Volatile.Read(ref _authBypasses);

    public async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _rounds);
        var seeds = Enumerable.Range(0, GarbagePerRound).Select(_ => NextSeed()).ToArray();
        var tasks = new List<Task>();
        tasks.AddRange(seeds.Select(s => GarbageAsync(new Random(s), cancellationToken)));
        tasks.AddRange(Enumerable.Range(0, HugeClaimsPerRound).Select(_ => HugeClaimAsync(NextSeed(), cancellationToken)));
        tasks.Add(FloodAsync(cancellationToken));
        tasks.Add(WrongPasswordsAsync(cancellationToken));
        await Task.WhenAll(tasks);
    }

    private int NextSeed()
    {
        lock (random)
        {
            return random.Next();
        }
    }

    private async Task GarbageAsync(Random r, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _garbage);
        var bytes = new byte[r.Next(1, 4096)];
        r.NextBytes(bytes);
        if (await SendAndWatchAsync(bytes, trickle: null, cancellationToken))
        {
            Interlocked.Increment(ref _garbageClosed);
        }
    }

    private async Task HugeClaimAsync(int seed, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _hugeClaims);
        // CONNECT, remaining length 268435455 (the largest the variable-length encoding allows), then the start of a
        // plausible variable header, then one random byte every 100 ms: a slowloris against a broker that buffers a claim.
        byte[] header = [0x10, 0xFF, 0xFF, 0xFF, 0x7F, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x05];
        if (await SendAndWatchAsync(header, new Random(seed), cancellationToken))
        {
            Interlocked.Increment(ref _hugeClaimsClosed);
        }
    }

    /// <summary>Sends <paramref name="bytes"/>, optionally trickles more, and returns whether the broker closed the connection first.</summary>
    private async Task<bool> SendAndWatchAsync(byte[] bytes, Random? trickle, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(trickle is null ? SocketTimeout : TrickleFor + SocketTimeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, mqttPort), bound.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        try
        {
            await socket.SendAsync(bytes, SocketFlags.None, bound.Token);
            if (trickle is not null)
            {
                var end = DateTime.UtcNow + TrickleFor;
                var one = new byte[1];
                while (DateTime.UtcNow < end)
                {
                    await Task.Delay(TrickleEvery, bound.Token);
                    trickle.NextBytes(one);
                    await socket.SendAsync(one, SocketFlags.None, bound.Token);
                }
                return false;
            }
            // A broker that understood nothing should hang up; reading 0 bytes (or a reset) means it did.
            var buffer = new byte[256];
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, bound.Token) > 0)
            {
            }
            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task FloodAsync(CancellationToken cancellationToken)
    {
        var factory = new MqttClientFactory();
        await Parallel.ForEachAsync(Enumerable.Range(0, FloodPerRound), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            Interlocked.Increment(ref _flood);
            using var client = factory.CreateMqttClient();
            var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", mqttPort).WithClientId($"flood-{Guid.NewGuid():N}")
                .WithProtocolVersion(i % 2 == 0 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311).WithTimeout(SocketTimeout).Build();
            try
            {
                await client.ConnectAsync(options, ct);
                Interlocked.Increment(ref _floodAccepted);
                await client.DisconnectAsync(new MqttClientDisconnectOptions(), ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Refused (connection limit), reset or the service is restarting: all fine for a flood.
            }
        });
    }

    private async Task WrongPasswordsAsync(CancellationToken cancellationToken)
    {
        var factory = new MqttClientFactory();
        for (var i = 0; i < WrongPasswordsPerRound; i++)
        {
            Interlocked.Increment(ref _wrongPasswords);
            using var client = factory.CreateMqttClient();
            var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", mqttPort).WithClientId($"intruder-{i}")
                .WithCredentials(user, $"wrong-{NextSeed()}").WithTimeout(SocketTimeout).Build();
            try
            {
                var result = await client.ConnectAsync(options, cancellationToken);
                if (result.ResultCode == MqttClientConnectResultCode.Success)
                {
                    Interlocked.Increment(ref _authBypasses);
                    await client.DisconnectAsync(new MqttClientDisconnectOptions(), cancellationToken);
                }
                else
                {
                    Interlocked.Increment(ref _wrongPasswordsRefused);
                }
            }
            catch (MQTTnet.Adapter.MqttConnectingFailedException)
            {
                Interlocked.Increment(ref _wrongPasswordsRefused);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Reset or restarting: neither in nor refused.
            }
        }
    }
}

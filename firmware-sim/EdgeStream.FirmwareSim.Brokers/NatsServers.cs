using System.Globalization;

namespace EdgeStream.FirmwareSim.Brokers;

/// <summary>Debian's nats-server with JetStream on loopback: one server or a 3-node cluster. Always killed on dispose.</summary>
public sealed class NatsServers : IAsyncDisposable
{
    private readonly List<ExternalProcess> _processes;
    private readonly TempDir _dir;

    private NatsServers(TempDir dir, List<ExternalProcess> processes, int[] ports)
    {
        _dir = dir;
        _processes = processes;
        Ports = ports;
    }

    /// <summary>The client ports, one per server.</summary>
    public int[] Ports { get; }

    /// <summary>A comma-separated list of every server's <c>nats://</c> URL.</summary>
    public string Url => string.Join(",", Ports.Select(p => $"nats://127.0.0.1:{p}"));

    /// <summary>One JetStream server on a free port, with its store in a temp directory.</summary>
    /// <param name="config">Optional nats-server config file content (e.g. <c>max_payload: 2048</c>, an authorization block).</param>
    public static async Task<NatsServers> StartSingleAsync(string? config = null)
    {
        var dir = new TempDir("nats");
        var port = Brokers.Ports.Free();
        string[] args = ["-js", "-sd", dir.Path, "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture)];
        if (config is not null)
        {
            var file = dir.Combine("nats.conf");
            await File.WriteAllTextAsync(file, config);
            args = ["-c", file, .. args];
        }
        var p = ExternalProcess.Start(ExternalProcess.Find("nats-server"), args);
        var servers = new NatsServers(dir, [p], [port]);
        await Brokers.Ports.WaitOpenAsync(port, TimeSpan.FromSeconds(10));
        return servers;
    }

    /// <summary>A 3-node JetStream cluster (n0..n2) on free client and route ports.</summary>
    public static async Task<NatsServers> StartClusterAsync()
    {
        var dir = new TempDir("natsc");
        var client = Enumerable.Range(0, 3).Select(_ => Brokers.Ports.Free()).ToArray();
        var route = Enumerable.Range(0, 3).Select(_ => Brokers.Ports.Free()).ToArray();
        var processes = new List<ExternalProcess>();
        var servers = new NatsServers(dir, processes, client);
        for (var i = 0; i < 3; i++)
        {
            var store = Path.Combine(dir.Path, $"n{i}");
            Directory.CreateDirectory(store);
            var routes = string.Join(", ", Enumerable.Range(0, 3).Where(j => j != i).Select(j => $"nats-route://127.0.0.1:{route[j]}"));
            var conf = Path.Combine(dir.Path, $"n{i}.conf");
            await File.WriteAllTextAsync(conf, $$"""
                server_name: n{{i}}
                listen: 127.0.0.1:{{client[i]}}
                jetstream { store_dir: "{{store}}" }
                cluster { name: edge, listen: 127.0.0.1:{{route[i]}}, routes: [{{routes}}] }
                """);
            processes.Add(ExternalProcess.Start(ExternalProcess.Find("nats-server"), "-c", conf));
        }
        foreach (var p in client)
        {
            await Brokers.Ports.WaitOpenAsync(p, TimeSpan.FromSeconds(10));
        }
        return servers;
    }

    /// <summary>SIGKILLs server <paramref name="index"/>.</summary>
    public Task KillAsync(int index) => _processes[index].KillAsync();

    /// <summary>Kills every server and deletes the stores.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes)
        {
            await p.DisposeAsync();
        }
        _dir.Dispose();
    }
}

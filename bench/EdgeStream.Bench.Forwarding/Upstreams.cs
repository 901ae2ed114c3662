using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Bench.Forwarding;

/// <summary>Real upstreams on loopback for the benchmark; every process is killed on dispose.</summary>
internal sealed class Upstreams : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private readonly List<string> _dirs = [];
    private IProducer<byte[], byte[]>? _kafkaOwner;
    private WebApplication? _http;

    public string KafkaBootstrap { get; private set; } = "";

    public string NatsUrl { get; private set; } = "";

    public int MqttPort { get; private set; }

    public string HttpUrl { get; private set; } = "";

    public void StartKafka()
    {
        var config = new ProducerConfig();
        config.Set("test.mock.num.brokers", "3");
        _kafkaOwner = new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        using var admin = new DependentAdminClientBuilder(_kafkaOwner.Handle).Build();
        KafkaBootstrap = string.Join(",", admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers.Select(b => $"{b.Host}:{b.Port}"));
    }

    public async Task StartNatsAsync()
    {
        var dir = Directory.CreateTempSubdirectory("bench-nats-").FullName;
        _dirs.Add(dir);
        var port = FreePort();
        Start(Find("nats-server"), "-js", "-sd", dir, "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture));
        await WaitOpenAsync(port);
        NatsUrl = $"nats://127.0.0.1:{port}";
    }

    public async Task StartMosquittoAsync()
    {
        var dir = Directory.CreateTempSubdirectory("bench-mosq-").FullName;
        _dirs.Add(dir);
        MqttPort = FreePort();
        var conf = Path.Combine(dir, "m.conf");
        await File.WriteAllTextAsync(conf, $"listener {MqttPort} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n{(Environment.UserName == "root" ? "user root\n" : "")}");
        Start(Find("mosquitto"), "-c", conf);
        await WaitOpenAsync(MqttPort);
    }

    public async Task StartHttpAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _http = builder.Build();
        // Reads (and so decompresses nothing): both the baseline and EdgeStream pay the same receiver cost.
        _http.MapPost("/ingest", async (HttpRequest r) =>
        {
            var buffer = new byte[64 * 1024];
            while (await r.Body.ReadAsync(buffer) > 0)
            {
            }
            return Results.Ok();
        });
        await _http.StartAsync();
        HttpUrl = _http.Urls.First() + "/ingest";
    }

    private void Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _processes.Add(p);
    }

    private static string Find(string name)
        => new[] { "/usr/sbin", "/usr/bin", "/usr/local/bin" }.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
           ?? throw new InvalidOperationException($"{name} is not installed");

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task WaitOpenAsync(int port)
    {
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new TimeoutException($"port {port} did not open");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes)
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync();
            }
            p.Dispose();
        }
        if (_http is not null)
        {
            await _http.StopAsync();
            await _http.DisposeAsync();
        }
        _kafkaOwner?.Dispose();
        foreach (var d in _dirs)
        {
            Directory.Delete(d, recursive: true);
        }
    }
}

using System.Globalization;

namespace EdgeStream.Forwarding.Tests.Infrastructure;

/// <summary>A real mosquitto on 127.0.0.1 with on-disk persistence, stoppable and restartable on the same port.</summary>
public sealed class Mosquitto : IAsyncDisposable
{
    private readonly TempDir _dir = new("mosq");
    private readonly string _config;
    private ExternalProcess? _process;

    private Mosquitto()
    {
        Port = Ports.Free();
        _config = Path.Combine(_dir.Path, "mosquitto.conf");
        var root = Environment.UserName == "root" ? "user root\n" : "";
        File.WriteAllText(_config, string.Create(CultureInfo.InvariantCulture, $"""
            listener {Port} 127.0.0.1
            allow_anonymous true
            persistence true
            persistence_location {_dir.Path}/
            max_queued_messages 1000000
            {root}
            """));
    }

    public int Port { get; }

    public static async Task<Mosquitto> StartAsync()
    {
        var m = new Mosquitto();
        await m.RestartAsync();
        return m;
    }

    /// <summary>Graceful stop (SIGTERM): mosquitto writes its persistence file, as a broker restart would.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.TerminateAsync();
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        _process = ExternalProcess.Start(ExternalProcess.Find("mosquitto"), "-c", _config);
        await Ports.WaitOpenAsync(Port, TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        _dir.Dispose();
    }
}

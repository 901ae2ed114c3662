using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace EdgeStream.FirmwareSim.Tests;

/// <summary>
/// A real Mosquitto on a free 127.0.0.1 port, killed and its directory removed on dispose.
/// <c>user root</c> when running as root, since Mosquitto otherwise drops to user mosquitto.
/// </summary>
internal sealed class Mosquitto : IAsyncDisposable
{
    private const string Executable = "/usr/sbin/mosquitto";

    private readonly Process _process;
    private readonly string _directory;

    private Mosquitto(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public static async Task<Mosquitto> StartAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} not found: install the Debian package 'mosquitto'.");
        }
        var port = FreePort();
        var dir = Path.Combine(Path.GetTempPath(), "es-sim-mosq-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var conf = Path.Combine(dir, "mosquitto.conf");
        var lines = new List<string> { $"listener {port} 127.0.0.1", "allow_anonymous true", "max_queued_messages 100000" };
        if (Environment.UserName == "root")
        {
            lines.Add("user root");
        }
        await File.WriteAllLinesAsync(conf, lines);
        var psi = new ProcessStartInfo(Executable) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(conf);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("mosquitto did not start");
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var broker = new Mosquitto(process, dir, port);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, port);
                return broker;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50);
            }
            catch
            {
                await broker.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>A port nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

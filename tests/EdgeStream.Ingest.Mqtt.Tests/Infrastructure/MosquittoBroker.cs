using System.Diagnostics;
using System.Net.Sockets;

namespace EdgeStream.Ingest.Mqtt.Tests.Infrastructure;

/// <summary>
/// A real Mosquitto broker on a free 127.0.0.1 port with a generated config, killed and cleaned up on dispose.
/// Runs as the current user (<c>user root</c> when root, since Mosquitto otherwise drops to user mosquitto).
/// </summary>
internal sealed class MosquittoBroker : IAsyncDisposable
{
    public const string Executable = "/usr/sbin/mosquitto";

    private readonly Process _process;
    private readonly string _directory;

    private MosquittoBroker(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public static bool IsInstalled => File.Exists(Executable);

    /// <summary>Starts Mosquitto; with <paramref name="user"/> it requires that user/password (password_file) instead of anonymous.</summary>
    public static async Task<MosquittoBroker> StartAsync(int? port = null, bool persistence = false, (string Name, string Password)? user = null)
    {
        var p = port ?? FreePort.Next();
        var dir = Path.Combine(Path.GetTempPath(), "es-mosq-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var conf = Path.Combine(dir, "mosquitto.conf");
        var lines = new List<string> { $"listener {p} 127.0.0.1", $"allow_anonymous {(user is null ? "true" : "false")}", "max_queued_messages 100000", "max_inflight_messages 0" };
        if (user is { } u)
        {
            var passwords = Path.Combine(dir, "passwords");
            var made = await Processes.RunAsync("/usr/bin/mosquitto_passwd", ["-c", "-b", passwords, u.Name, u.Password], TimeSpan.FromSeconds(20));
            if (made.ExitCode != 0)
            {
                throw new InvalidOperationException("mosquitto_passwd failed: " + made.Stderr);
            }
            lines.Add($"password_file {passwords}");
        }
        if (Environment.UserName == "root")
        {
            lines.Add("user root");
        }
        if (persistence)
        {
            lines.Add("persistence true");
            lines.Add($"persistence_location {dir}/");
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
        var broker = new MosquittoBroker(process, dir, p);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync("127.0.0.1", p);
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

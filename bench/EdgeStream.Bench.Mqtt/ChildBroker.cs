using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace EdgeStream.Bench.Mqtt;

/// <summary>A broker process on a free loopback port (EdgeStream via "serve", or Mosquitto), stopped on dispose.</summary>
internal sealed class ChildBroker : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private ChildBroker(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        _directory = directory;
    }

    public int Port { get; }

    /// <summary>The child's closing statistics line (EdgeStream only), available after dispose.</summary>
    public string? Stats { get; private set; }

    public static async Task<ChildBroker> StartEdgeStreamAsync(bool withoutLog = false)
    {
        var port = FreePort();
        var dir = Path.Combine(Path.GetTempPath(), "es-bench-" + Guid.NewGuid().ToString("N"));
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        var self = typeof(ChildBroker).Assembly.Location;
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            psi.ArgumentList.Add(self);
        }
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        psi.ArgumentList.Add(dir);
        if (withoutLog)
        {
            psi.ArgumentList.Add("nolog");
        }
        psi.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(psi)!;
        var ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (ready != "READY")
        {
            throw new InvalidOperationException($"EdgeStream broker did not start: {ready}");
        }
        return new ChildBroker(process, port, dir);
    }

    public static async Task<ChildBroker> StartMosquittoAsync()
    {
        var port = FreePort();
        var dir = Path.Combine(Path.GetTempPath(), "es-bench-mosq-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var conf = Path.Combine(dir, "mosquitto.conf");
        var lines = new List<string> { $"listener {port} 127.0.0.1", "allow_anonymous true", "persistence false", "max_inflight_messages 0", "max_queued_messages 0" };
        if (Environment.UserName == "root")
        {
            lines.Add("user root");
        }
        await File.WriteAllLinesAsync(conf, lines);
        var psi = new ProcessStartInfo("/usr/sbin/mosquitto") { UseShellExecute = false, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(conf);
        var process = Process.Start(psi)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, port);
                return new ChildBroker(process, port, dir);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Current and peak resident set size from /proc (Linux).</summary>
    public string RssMiB()
    {
        try
        {
            var status = File.ReadAllLines($"/proc/{_process.Id}/status");
            double Kb(string key) => double.Parse(status.First(l => l.StartsWith(key, StringComparison.Ordinal)).Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            return string.Create(CultureInfo.InvariantCulture, $"{Kb("VmRSS") / 1024:F1} ({Kb("VmHWM") / 1024:F1})");
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            if (_process.StartInfo.RedirectStandardInput)
            {
                _process.StandardInput.Close();
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    Stats = await _process.StandardOutput.ReadLineAsync(cts.Token);
                    await _process.WaitForExitAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
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

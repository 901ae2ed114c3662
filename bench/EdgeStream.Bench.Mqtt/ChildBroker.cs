using System.Diagnostics;
using System.Globalization;
using EdgeStream.FirmwareSim.Brokers;

namespace EdgeStream.Bench.Mqtt;

/// <summary>A broker process on a free loopback port (EdgeStream via "serve", or Mosquitto), stopped on dispose.</summary>
internal sealed class ChildBroker : IAsyncDisposable
{
    private readonly Process? _process;
    private readonly string? _directory;
    private readonly MosquittoBroker? _mosquitto;

    private ChildBroker(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        _directory = directory;
    }

    private ChildBroker(MosquittoBroker mosquitto)
    {
        _mosquitto = mosquitto;
        Port = mosquitto.Port;
    }

    public int Port { get; }

    /// <summary>The child's closing statistics line (EdgeStream only), available after dispose.</summary>
    public string? Stats { get; private set; }

    /// <summary>Starts EdgeStream's broker; <paramref name="environment"/> adds variables to the child (e.g. a runtime knob to compare).</summary>
    public static async Task<ChildBroker> StartEdgeStreamAsync(bool withoutLog = false, IReadOnlyDictionary<string, string>? environment = null)
    {
        var port = Ports.Free();
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
        // The shipped build's runtime settings (src/EdgeStream.Host/EdgeStream.Host.csproj, and the thread-pool floor of
        // src/EdgeStream.Host/Run/ThreadPoolFloor.cs: cores + 1); --broker-env overrides them. Values are hexadecimal.
        psi.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
        psi.Environment["DOTNET_ThreadPool_ForceMinWorkerThreads"] = (Environment.ProcessorCount + 1).ToString("x", CultureInfo.InvariantCulture);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }
        var process = Process.Start(psi)!;
        var ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (ready != "READY")
        {
            throw new InvalidOperationException($"EdgeStream broker did not start: {ready}");
        }
        return new ChildBroker(process, port, dir);
    }

    /// <summary>
    /// Starts a published <c>edgestream</c> executable as users run it (<c>edgestream run</c>, embedded defaults: group
    /// commit, metrics, admin HTTP), ready when <c>/readyz</c> answers 200.
    /// </summary>
    public static async Task<ChildBroker> StartShippedAsync(string executable)
    {
        var port = Ports.Free();
        var httpPort = Ports.Free();
        var dir = Path.Combine(Path.GetTempPath(), "es-bench-" + Guid.NewGuid().ToString("N"));
        var psi = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "run", "--data", dir, "--mqtt-port", port.ToString(CultureInfo.InvariantCulture), "--http-port", httpPort.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }
        var process = Process.Start(psi)!;
        // Drained so a chatty log never fills the pipe and stalls the broker.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var readyz = new Uri($"http://127.0.0.1:{httpPort}/readyz");
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
        {
            try
            {
                using var response = await http.GetAsync(readyz);
                if ((int)response.StatusCode == 200)
                {
                    return new ChildBroker(process, port, dir);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(50);
        }
        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException($"{executable} was not ready within 30 s");
    }

    public static async Task<ChildBroker> StartMosquittoAsync()
    {
        // Persistence off (Mosquitto's default), unlimited inflight and queued messages.
        var mosquitto = await MosquittoBroker.StartAsync(maxQueuedMessages: 0, maxInflightMessages: 0);
        return new ChildBroker(mosquitto);
    }

    /// <summary>Current and peak resident set size from /proc (Linux).</summary>
    public string RssMiB()
    {
        try
        {
            var status = File.ReadAllLines($"/proc/{_mosquitto?.ProcessId ?? _process!.Id}/status");
            double Kb(string key) => double.Parse(status.First(l => l.StartsWith(key, StringComparison.Ordinal)).Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            return string.Create(CultureInfo.InvariantCulture, $"{Kb("VmRSS") / 1024:F1} ({Kb("VmHWM") / 1024:F1})");
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_mosquitto is not null)
        {
            await _mosquitto.DisposeAsync();
            return;
        }
        if (_process is null || _directory is null)
        {
            return;
        }
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

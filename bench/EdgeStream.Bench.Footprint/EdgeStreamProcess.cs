using System.Diagnostics;

namespace EdgeStream.Bench.Footprint;

/// <summary>One <c>edgestream run</c> child on free loopback ports and its own data directory, timed to /readyz.</summary>
internal sealed class EdgeStreamProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _data;
    private readonly Queue<string> _tail = new();
    private readonly List<string> _problems = [];
    private int _problemLinesLeft;

    private EdgeStreamProcess(Process process, string data, int mqttPort, int httpPort)
    {
        _process = process;
        _data = data;
        MqttPort = mqttPort;
        HttpPort = httpPort;
    }

    public int Pid => _process.Id;
    public int MqttPort { get; }
    public int HttpPort { get; }
    public double? ReadyMs { get; private set; }
    public string? Failure { get; private set; }
    public bool HasExited => _process.HasExited;

    public static async Task<EdgeStreamProcess> StartAsync(Build build, string sinkUrl, string temp, ChildProcesses processes)
    {
        var data = Path.Combine(temp, "data-" + Guid.NewGuid().ToString("N")[..8]);
        var mqttPort = Ports.Free();
        var httpPort = Ports.Free();
        var psi = new ProcessStartInfo(build.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (k, v) in build.Env ?? [])
        {
            psi.Environment[k] = v;
        }
        foreach (var a in build.Args.Concat(["run", "--data", data, "--mqtt-port", $"{mqttPort}", "--http-port", $"{httpPort}", "--sink", sinkUrl]))
        {
            psi.ArgumentList.Add(a);
        }
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var readyz = new Uri($"http://127.0.0.1:{httpPort}/readyz");
        var sw = Stopwatch.StartNew();
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"{build.FileName} did not start");
        processes.Add(process);
        var run = new EdgeStreamProcess(process, data, mqttPort, httpPort);
        process.OutputDataReceived += (_, e) => run.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => run.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = TimeSpan.FromSeconds(30);
        while (sw.Elapsed < deadline)
        {
            if (process.HasExited)
            {
                await Task.Delay(200);
                run.Failure = $"exited with code {process.ExitCode}: {run.Tail()}";
                return run;
            }
            try
            {
                using var response = await http.GetAsync(readyz);
                if ((int)response.StatusCode == 200)
                {
                    run.ReadyMs = sw.Elapsed.TotalMilliseconds;
                    return run;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Slow answer: poll again.
            }
            await Task.Delay(10);
        }
        run.Failure = $"/readyz not 200 within {deadline.TotalSeconds} s: {run.Tail()}";
        return run;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_tail)
        {
            // Keep the first few "fail:"/"crit:"/"warn:" log entries (header plus two message lines) for the report.
            if ((line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal) || line.StartsWith("warn:", StringComparison.Ordinal)) && _problems.Count < 12)
            {
                _problemLinesLeft = 3;
            }
            if (_problemLinesLeft > 0)
            {
                _problemLinesLeft--;
                _problems.Add(line.Trim());
            }
            _tail.Enqueue(line);
            while (_tail.Count > 12)
            {
                _tail.Dequeue();
            }
        }
    }

    /// <summary>The first warning/error log entries the service wrote, joined.</summary>
    public string Problems()
    {
        lock (_tail)
        {
            return string.Join(" | ", _problems);
        }
    }

    private string Tail()
    {
        lock (_tail)
        {
            return string.Join(" | ", _tail);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        if (Failure is null && _process.ExitCode is not (0 or 137 or -1) && ReadyMs is not null)
        {
            Failure = $"exit code {_process.ExitCode}: {Tail()}";
        }
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never created.
        }
    }
}

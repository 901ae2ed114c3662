using System.Diagnostics;

namespace EdgeStream.Host.Tests;

/// <summary>
/// An <c>edgestream</c> process (the shipped executable, see <see cref="ShippedHost"/>), killed on dispose. With
/// <c>underFakeSystemd</c> it runs as the child of a shell named <c>systemd</c>: .NET enables its systemd integration
/// only when the parent process is called that.
/// </summary>
internal sealed class RunProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    public RunProcess(string executable, IReadOnlyDictionary<string, string> environment, string? underFakeSystemd, params string[] args)
    {
        ProcessStartInfo start;
        if (underFakeSystemd is not null)
        {
            var shell = Path.Combine(underFakeSystemd, "systemd");
            File.CreateSymbolicLink(shell, "/bin/bash");
            start = new ProcessStartInfo(shell);
            start.ArgumentList.Add("-c");
            // The shell stays the parent (it waits), and prints the service's pid so SIGTERM reaches the service.
            start.ArgumentList.Add("\"$@\" & child=$!; echo \"edgestream-pid $child\"; wait $child");
            start.ArgumentList.Add("systemd");
            start.ArgumentList.Add(executable);
        }
        else
        {
            start = new ProcessStartInfo(executable);
        }
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.UseShellExecute = false;
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        foreach (var (k, v) in environment)
        {
            start.Environment[k] = v;
        }
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>The service's pid (the shell's child when under the fake systemd).</summary>
    public string ServicePid => Output.Split('\n').FirstOrDefault(l => l.StartsWith("edgestream-pid ", StringComparison.Ordinal))?[15..]
        ?? _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Waits (up to a minute: start-up on a loaded machine is slow) until the output contains <paramref name="text"/>.</summary>
    public Task WaitForOutputAsync(string text)
        => Poll.UntilAsync(() => Output.Contains(text, StringComparison.Ordinal), TimeSpan.FromSeconds(60), $"'{text}' in the output of edgestream:\n{Output}");

    /// <summary>Waits (up to 30 s) until <c>/readyz</c> on <paramref name="http"/> answers 2xx.</summary>
    public Task WaitReadyAsync(HttpClient http)
        => Poll.UntilAsync(async () =>
        {
            try
            {
                return (await http.GetAsync("readyz")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "the service to become ready: " + Output);

    public async Task<int> StopAsync(TimeSpan timeout)
    {
        // SIGTERM, as systemd stops a service.
        await Process.Start("kill", ["-TERM", ServicePid])!.WaitForExitAsync();
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Waits for the process to end by itself.</summary>
    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Add(line);
            }
        }
    }
}

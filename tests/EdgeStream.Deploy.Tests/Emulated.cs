using System.Diagnostics;

namespace EdgeStream.Deploy.Tests;

/// <summary>
/// An arm64 program run under qemu-aarch64-static with this machine's multiarch arm64 libraries (<c>-L /</c>: binfmt_misc
/// need not be set up); killed on dispose. qemu-user forwards signals, so SIGTERM reaches the program as systemd's would.
/// </summary>
internal sealed class Emulated : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private Emulated(Process process) => _process = process;

    public bool HasExited => _process.HasExited;

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

    public static Emulated Start(string qemu, string program, params string[] args)
    {
        var start = new ProcessStartInfo(qemu) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-L");
        start.ArgumentList.Add("/");
        start.ArgumentList.Add(program);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        var emulated = new Emulated(Process.Start(start) ?? throw new InvalidOperationException($"{qemu} did not start"));
        emulated._process.OutputDataReceived += (_, e) => emulated.Add(e.Data);
        emulated._process.ErrorDataReceived += (_, e) => emulated.Add(e.Data);
        emulated._process.BeginOutputReadLine();
        emulated._process.BeginErrorReadLine();
        return emulated;
    }

    /// <summary>SIGTERM, then waits for the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
        return ValueTask.CompletedTask;
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

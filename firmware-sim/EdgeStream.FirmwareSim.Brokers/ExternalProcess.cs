using System.Diagnostics;
using System.Runtime.InteropServices;

namespace EdgeStream.FirmwareSim.Brokers;

/// <summary>A child process (nats-server, mosquitto) that is always killed on dispose.</summary>
public sealed partial class ExternalProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ExternalProcess(Process process) => _process = process;

    /// <summary>The child's process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether the child has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The full path of an installed executable in the usual system directories; throws when it is not installed.</summary>
    public static string Find(string name)
        => Which(name) ?? throw new InvalidOperationException($"{name} is not installed (test.sh installs it).");

    /// <summary>The full path of <paramref name="name"/> on PATH or in the system directories, or null when it is not installed.</summary>
    public static string? Which(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin", "/sbin", "/bin"]);
        return dirs.Select(d => System.IO.Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// Runs a command to completion and returns its exit code and output. A command that overruns
    /// <paramref name="timeout"/> is killed and a <see cref="TimeoutException"/> (with what it printed) is thrown, so a
    /// hung tool can never pass for one that failed.
    /// </summary>
    /// <param name="file">The executable (a bare name is looked up on PATH).</param>
    /// <param name="args">Its arguments, passed as they are (no shell).</param>
    /// <param name="timeout">How long it may run.</param>
    /// <param name="stdin">Written to its standard input, which is then closed; none when null.</param>
    /// <param name="cancellationToken">Kills the command when cancelled.</param>
    public static async Task<ToolResult> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout, string? stdin = null, CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout} (killed):\n{await stdout}{await stderr}");
        }
        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts <paramref name="file"/> with <paramref name="args"/>, draining its output.</summary>
    public static ExternalProcess Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        // Drain output so the child never blocks on a full pipe.
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return new ExternalProcess(p);
    }

    /// <summary>SIGTERM (graceful: mosquitto saves its persistence file) and wait.</summary>
    public async Task TerminateAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, 15);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                await KillAsync();
            }
        }
    }

    /// <summary>SIGKILL and wait.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(cts.Token);
        }
    }

    /// <summary>Kills the child (if still running) and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        finally
        {
            _process.Dispose();
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}

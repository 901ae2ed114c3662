using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>
/// Keeps the real <c>edgestream run</c> process going the way systemd's <c>Restart=always</c> would: kills it with
/// SIGKILL on request and starts it again, notices when it exits without being asked (a failure: the service must
/// never go down) and restarts it, samples its memory (VmHWM / VmRSS) and times every start until <c>/readyz</c>
/// answers 200. Its output is appended to a log file. Thread-safe: one operation at a time.
/// </summary>
internal sealed partial class ServiceSupervisor : IAsyncDisposable
{
    private const int TailLines = 40;

    private readonly string _dll;
    private readonly string[] _args;
    private readonly int _httpPort;
    private readonly TimeSpan _readyTimeout;
    private readonly TextWriter _serviceLog;
    private readonly TextWriter _console;
    private readonly ChaosClock _clock;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HttpClient _http;
    private readonly Queue<string> _tail = new();
    private readonly List<TimeSpan> _readyTimes = [];
    private readonly List<string> _failures = [];
    private readonly CancellationTokenSource _stop = new();
    private Process? _process;
    private Task? _monitor;
    private long _maxHwmKb;
    private long _maxRssKb;
    private long _currentHwmKb;
    private int _unexpectedExits;

    public ServiceSupervisor(string dll, string[] args, int httpPort, TimeSpan readyTimeout, string logFile, TextWriter console, ChaosClock clock)
    {
        _dll = dll;
        _args = args;
        _httpPort = httpPort;
        _readyTimeout = readyTimeout;
        _serviceLog = TextWriter.Synchronized(new StreamWriter(logFile, append: true) { AutoFlush = true });
        _console = console;
        _clock = clock;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/"), Timeout = TimeSpan.FromSeconds(2) };
    }

    /// <summary>The admin HTTP client of the service (base address set).</summary>
    public HttpClient Http => _http;

    /// <summary>Times from each start to the first 200 from /readyz.</summary>
    public IReadOnlyList<TimeSpan> ReadyTimes
    {
        get
        {
            lock (_readyTimes)
            {
                return [.. _readyTimes];
            }
        }
    }

    /// <summary>Exits nobody asked for, and starts that never became ready, each with the end of the service's output.</summary>
    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_failures)
            {
                return [.. _failures];
            }
        }
    }

    /// <summary>Times the service exited without being killed or stopped.</summary>
    public int UnexpectedExits => Volatile.Read(ref _unexpectedExits);

    /// <summary>The highest VmHWM (peak resident set) of any incarnation, in KiB.</summary>
    public long MaxHwmKb => Interlocked.Read(ref _maxHwmKb);

    /// <summary>The VmHWM of the running incarnation at the last sample, in KiB.</summary>
    public long CurrentHwmKb => Interlocked.Read(ref _currentHwmKb);

    /// <summary>The highest VmRSS sampled, in KiB.</summary>
    public long MaxRssKb => Interlocked.Read(ref _maxRssKb);

    /// <summary>Starts the service, waits until it is ready, and starts watching it.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await LaunchAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
        _monitor = MonitorAsync(_stop.Token);
    }

    /// <summary>Waits (at most <paramref name="timeout"/>) until /readyz answers 200; false when it did not.</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                using var response = await _http.GetAsync("readyz", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Restarting.
            }
            await Task.Delay(100, cancellationToken);
        }
        return false;
    }

    /// <summary>SIGKILL, then a fresh start; returns once the new process is ready (or gave up, recorded as a failure).</summary>
    public async Task KillAndRestartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_process is { HasExited: false } p)
            {
                Sample(p);
                p.Kill();
                await p.WaitForExitAsync(CancellationToken.None);
            }
            await LaunchAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>SIGTERM (as systemd stops a service) and waits; returns the exit code, or null when it had to be killed.</summary>
    public async Task<int?> StopAsync(TimeSpan timeout)
    {
        await _stop.CancelAsync();
        if (_monitor is not null)
        {
            await _monitor;
        }
        await _gate.WaitAsync();
        try
        {
            if (_process is not { } p || p.HasExited)
            {
                return _process?.ExitCode;
            }
            Sample(p);
            _ = Kill(p.Id, 15);
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await p.WaitForExitAsync(cts.Token);
                return p.ExitCode;
            }
            catch (OperationCanceledException)
            {
                p.Kill();
                await p.WaitForExitAsync(CancellationToken.None);
                return null;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Kills the service if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_monitor is not null)
        {
            await _monitor;
        }
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            await p.WaitForExitAsync(CancellationToken.None);
        }
        _process?.Dispose();
        _http.Dispose();
        _serviceLog.Dispose();
        _stop.Dispose();
        _gate.Dispose();
    }

    private async Task LaunchAsync(CancellationToken cancellationToken)
    {
        _process?.Dispose();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(_dll);
        foreach (var a in _args)
        {
            start.ArgumentList.Add(a);
        }
        var started = Stopwatch.GetTimestamp();
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, e) => Output(e.Data);
        process.ErrorDataReceived += (_, e) => Output(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Interlocked.Exchange(ref _currentHwmKb, 0);
        _serviceLog.WriteLine($"{_clock.Stamp} ==== chaos: started edgestream pid {process.Id}");
        var deadline = started + (long)(_readyTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline && !process.HasExited)
        {
            try
            {
                using var response = await _http.GetAsync("readyz", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    lock (_readyTimes)
                    {
                        _readyTimes.Add(Stopwatch.GetElapsedTime(started));
                    }
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Not listening yet.
            }
            await Task.Delay(50, cancellationToken);
        }
        Fail(process.HasExited
            ? $"the service exited with code {process.ExitCode} before it was ready"
            : $"the service was not ready within {_readyTimeout.TotalSeconds:F0} s");
    }

    private async Task MonitorAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await _gate.WaitAsync(cancellationToken);
                try
                {
                    if (_process is not { } p)
                    {
                        continue;
                    }
                    if (!p.HasExited)
                    {
                        Sample(p);
                        continue;
                    }
                    // Nobody asked it to stop: the service went down by itself. Count it, then restart as systemd would.
                    Interlocked.Increment(ref _unexpectedExits);
                    Fail($"the service exited by itself with code {p.ExitCode}");
                    await _console.WriteLineAsync($"{_clock.Stamp} service exited by itself (code {p.ExitCode}); restarting");
                    await LaunchAsync(cancellationToken);
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void Sample(Process p)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{p.Id}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var hwm = Kb(line);
                    Interlocked.Exchange(ref _currentHwmKb, hwm);
                    Raise(ref _maxHwmKb, hwm);
                }
                else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    Raise(ref _maxRssKb, Kb(line));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Exited between the check and the read.
        }
    }

    private static long Kb(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static void Raise(ref long field, long value)
    {
        long seen;
        while (value > (seen = Interlocked.Read(ref field)) && Interlocked.CompareExchange(ref field, value, seen) != seen)
        {
        }
    }

    private void Fail(string what)
    {
        string tail;
        lock (_tail)
        {
            tail = string.Join('\n', _tail);
        }
        lock (_failures)
        {
            _failures.Add($"{_clock.Stamp} {what}; its last output:\n{tail}");
        }
    }

    private void Output(string? line)
    {
        if (line is null)
        {
            return;
        }
        _serviceLog.WriteLine(line);
        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}

using System.Diagnostics;

namespace EdgeStream.Http.Tests.Infrastructure;

/// <summary>
/// Drives Debian's <c>chromium</c> in headless mode: one process per call, its own throw-away profile directory,
/// killed (with its children) if it overruns. <see cref="Path"/> is <c>null</c> when chromium is not installed.
/// </summary>
internal static class HeadlessChromium
{
    public static string? Path { get; } = Find();

    /// <summary>Loads <paramref name="url"/>, lets its scripts run for 5 s of virtual time, and returns the serialized DOM.</summary>
    public static async Task<string> DumpDomAsync(Uri url, string workDirectory)
        => await RunAsync(url, workDirectory, "--dump-dom");

    /// <summary>Loads <paramref name="url"/> like <see cref="DumpDomAsync"/> and writes a 1200x900 PNG to <paramref name="file"/>.</summary>
    public static async Task ScreenshotAsync(Uri url, string workDirectory, string file)
        => await RunAsync(url, workDirectory, $"--screenshot={file}");

    private static async Task<string> RunAsync(Uri url, string workDirectory, string mode)
    {
        var profile = System.IO.Path.Combine(workDirectory, "profile-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo(Path ?? throw new InvalidOperationException("chromium is not installed"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", $"--user-data-dir={profile}", "--window-size=1200,900",
            "--virtual-time-budget=5000", mode, url.ToString(),
        })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium {mode} did not finish: {await stderr}");
        }
        var output = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"chromium {mode} exited with {process.ExitCode}: {await stderr}");
        }
        return output;
    }

    private static string? Find()
    {
        foreach (var name in new[] { "chromium", "chromium-browser" })
        {
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
            {
                var candidate = System.IO.Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }
}

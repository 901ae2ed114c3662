using System.Diagnostics;
using System.Globalization;

namespace EdgeStream.Ingest.Mqtt.Tests.Infrastructure;

/// <summary>Starts and kills the shipped <c>edgestream run</c> for the end-to-end crash tests.</summary>
internal static class EdgeStreamRun
{
    /// <summary>
    /// <c>edgestream run</c> on <paramref name="dataDir"/> with MQTT on <paramref name="port"/> and no admin HTTP (its
    /// default port would clash with another test's edgestream running at the same time); output is drained.
    /// </summary>
    public static Process Start(string host, string dataDir, int port)
    {
        var psi = new ProcessStartInfo(host) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "run", "--data", dataDir, "--mqtt-port", port.ToString(CultureInfo.InvariantCulture), "--http-port", "0" })
        {
            psi.ArgumentList.Add(a);
        }
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>SIGKILL (no shutdown, no final flush), then waits for the exit.</summary>
    public static async Task KillAsync(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill();
        }
        await process.WaitForExitAsync(CancellationToken.None);
    }
}

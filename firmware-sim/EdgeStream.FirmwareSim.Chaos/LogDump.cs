using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>Reads what the stopped service's log holds, with the product's own <c>edgestream log dump --format jsonl</c>.</summary>
internal static class LogDump
{
    /// <summary>Every durable record of <paramref name="topic"/>, all partitions; empty when the topic does not exist.</summary>
    public static async Task<IReadOnlyList<StoredEntry>> ReadAsync(string dll, string data, string topic, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Path.Combine(data, "topics", topic)))
        {
            return [];
        }
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, StandardOutputEncoding = Encoding.UTF8 };
        foreach (var a in new[] { dll, "log", "dump", topic, "--format", "jsonl", "--data", data })
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        var entries = new List<StoredEntry>();
        while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0)
            {
                entries.Add(Parse(line));
            }
        }
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"edgestream log dump {topic} failed ({process.ExitCode}): {await error}");
        }
        return entries;
    }

    /// <summary>One line of <c>log dump --format jsonl</c> (the shape of <c>EdgeStream.Http.RecordJson</c>).</summary>
    internal static StoredEntry Parse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        var value = r.TryGetProperty("valueEncoding", out var enc) && enc.GetString() == "base64"
            ? r.GetProperty("value").GetBytesFromBase64()
            : Encoding.UTF8.GetBytes(r.GetProperty("value").GetString() ?? "");
        return new StoredEntry(r.GetProperty("topic").GetString() ?? "", r.GetProperty("partition").GetInt32(), r.GetProperty("offset").GetInt64(),
            RecordTag.Hash(value), RecordTag.From(value));
    }
}

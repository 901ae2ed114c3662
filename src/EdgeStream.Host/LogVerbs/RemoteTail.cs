using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;

namespace EdgeStream.Host.LogVerbs;

/// <summary>
/// <c>log tail --url</c>: follows a topic of a running service through its HTTP pull API, one long-poll loop per
/// partition (the server holds each request until records are durable, so nothing spins), printing JSON lines in the
/// <c>log dump --format jsonl</c> shape. This is how to watch a live box, whose data directory the service has locked.
/// </summary>
internal static class RemoteTail
{
    private const int WaitMs = 20_000;

    public static async Task<int> RunAsync(Uri server, string topic, int? partition, long? from, string? token, TextWriter output, TextWriter error, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromMilliseconds(WaitMs + 15_000) };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        var escaped = Uri.EscapeDataString(topic);
        List<(int Id, long Next)> partitions;
        try
        {
            using var response = await http.GetAsync($"api/v1/topics/{escaped}", ct);
            if (!response.IsSuccessStatusCode)
            {
                await error.WriteLineAsync($"edgestream: {server}api/v1/topics/{topic} answered {(int)response.StatusCode} {response.ReasonPhrase}");
                return LogAccess.UsageError;
            }
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
            partitions = doc.RootElement.GetProperty("partitions").EnumerateArray()
                .Select(p => (Id: p.GetProperty("partition").GetInt32(), Next: p.GetProperty("nextOffset").GetInt64()))
                .Where(p => partition is null || p.Id == partition)
                .ToList();
        }
        catch (HttpRequestException e)
        {
            await error.WriteLineAsync($"edgestream: cannot reach {server}: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            await error.WriteLineAsync($"edgestream: {server} does not answer like an EdgeStream admin API ({e.Message})");
            return 1;
        }
        if (partitions.Count == 0)
        {
            await error.WriteLineAsync($"edgestream: topic '{topic}' has no partition {partition}");
            return LogAccess.UsageError;
        }
        var lines = Channel.CreateBounded<string>(1024);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pumps = Task.WhenAll(partitions.Select(p => PollAsync(http, escaped, p.Id, from ?? p.Next, lines.Writer, stop.Token)))
            .ContinueWith(t => lines.Writer.TryComplete(t.Exception?.InnerException), TaskScheduler.Default);
        try
        {
            await foreach (var line in lines.Reader.ReadAllAsync(ct))
            {
                await output.WriteLineAsync(line);
                await output.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (HttpRequestException e)
        {
            await error.WriteLineAsync($"edgestream: {e.Message}");
            return 1;
        }
        finally
        {
            await stop.CancelAsync();
            await pumps;
        }
        return 0;
    }

    private static async Task PollAsync(HttpClient http, string topic, int partition, long offset, ChannelWriter<string> lines, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                using var response = await http.GetAsync(string.Create(CultureInfo.InvariantCulture,
                    $"api/v1/topics/{topic}/partitions/{partition}/records?offset={offset}&waitMs={WaitMs}"), HttpCompletionOption.ResponseHeadersRead, ct);
                response.EnsureSuccessStatusCode();
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    if (line.Length > 0)
                    {
                        await lines.WriteAsync(line, ct);
                    }
                }
                offset = long.Parse(response.Headers.GetValues("X-EdgeStream-Next-Offset").First(), CultureInfo.InvariantCulture);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}

using System.Text.Json;

namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>
/// After the faults stop, waits until upstream holds every record the log holds: for every forwarded partition the
/// service's <c>/api/status</c> reports, each offset from its start to its durable end has been delivered at least
/// once (and nothing appended is still waiting for its fsync). Gives up at a deadline; the checks then name what is missing.
/// </summary>
internal static class DrainWatcher
{
    public static async Task<bool> WaitAsync(HttpClient service, RecordingUpstream upstream, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                if (await IsDrainedAsync(service, upstream, deadline.Token))
                {
                    return true;
                }
                await Task.Delay(250, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task<bool> IsDrainedAsync(HttpClient service, RecordingUpstream upstream, CancellationToken cancellationToken)
    {
        JsonDocument status;
        try
        {
            using var response = await service.GetAsync("api/status", cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }
            status = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        using (status)
        {
            var delivered = upstream.Snapshot().Select(d => (d.Topic, d.Partition, d.Offset)).ToHashSet();
            foreach (var topic in status.RootElement.GetProperty("topics").EnumerateArray())
            {
                var name = topic.GetProperty("name").GetString() ?? "";
                if (name.EndsWith(".dlq", StringComparison.Ordinal))
                {
                    continue;
                }
                foreach (var p in topic.GetProperty("partitions").EnumerateArray())
                {
                    var partition = p.GetProperty("partition").GetInt32();
                    var start = p.GetProperty("startOffset").GetInt64();
                    var next = p.GetProperty("nextOffset").GetInt64();
                    var durable = p.GetProperty("durableOffset").GetInt64();
                    if (durable != next)
                    {
                        return false;
                    }
                    for (var o = start; o < durable; o++)
                    {
                        if (!delivered.Contains((name, partition, o)))
                        {
                            return false;
                        }
                    }
                }
            }
            return true;
        }
    }
}

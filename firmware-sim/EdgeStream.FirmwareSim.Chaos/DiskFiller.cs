using System.Net;
using System.Text;

namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>
/// Fills the service's disk budget (<c>Log:MaxDiskBytes</c>) with ballast posted to the HTTP ingest while the upstream
/// link is cut, so nothing drains: posts until the log answers 507, holds the disk full for a while (devices' QoS 1
/// publishes meanwhile get PUBACK 0x97 and stay buffered on the devices), then restores the link so the ballast drains
/// and retention frees the room. Ballast the service answered 200 to is recorded as acknowledged.
/// </summary>
internal sealed class DiskFiller(AckLedger ledger, TextWriter console, ChaosClock clock)
{
    /// <summary>The log topic the ballast goes to (forwarded, with retention so it can be deleted once upstream has it).</summary>
    public const string Topic = "ballast";

    private const int RecordsPerRequest = 8;
    private const int PadBytes = 60_000;

    private long _nextNumber;
    private int _episodes;
    private int _reachedFull;
    private long _refused;
    private long _posted;

    /// <summary>Episodes run.</summary>
    public int Episodes => Volatile.Read(ref _episodes);

    /// <summary>Episodes in which the log refused ballast with 507.</summary>
    public int ReachedFull => Volatile.Read(ref _reachedFull);

    /// <summary>Ballast requests the log refused with 507.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Ballast bytes acknowledged.</summary>
    public long BytesStored => Interlocked.Read(ref _posted);

    public async Task RunEpisodeAsync(HttpClient service, LinkFaults link, long budgetBytes, TimeSpan hold, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _episodes);
        using var cut = link.Cut();
        var maxRequests = (budgetBytes / (RecordsPerRequest * PadBytes)) + 32;
        var full = false;
        for (var i = 0; i < maxRequests && !full; i++)
        {
            var numbers = Enumerable.Range(0, RecordsPerRequest).Select(_ => Interlocked.Increment(ref _nextNumber)).ToArray();
            try
            {
                using var response = await service.PostAsync($"api/v1/topics/{Topic}/records", Body(numbers), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    foreach (var n in numbers)
                    {
                        ledger.Add(Topic, RecordTag.Ballast(n));
                    }
                    Interlocked.Add(ref _posted, (long)RecordsPerRequest * PadBytes);
                }
                else if (response.StatusCode == HttpStatusCode.InsufficientStorage)
                {
                    Interlocked.Increment(ref _refused);
                    full = true;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Killed or restarting: not acknowledged, so not expected anywhere. Try again shortly.
                await Task.Delay(200, cancellationToken);
            }
        }
        if (!full)
        {
            await console.WriteLineAsync($"{clock.Stamp} disk-full: the budget never refused ballast after {maxRequests} requests");
            return;
        }
        Interlocked.Increment(ref _reachedFull);
        await console.WriteLineAsync($"{clock.Stamp} disk-full: the log refuses appends (507); holding {hold.TotalSeconds:F0} s with the upstream cut");
        await Task.Delay(hold, cancellationToken);
    }

    private static StringContent Body(long[] numbers)
    {
        var pad = new string('x', PadBytes);
        var text = new StringBuilder();
        foreach (var n in numbers)
        {
            text.Append("{\"value\":{\"ballast\":").Append(n).Append(",\"pad\":\"").Append(pad).Append("\"}}\n");
        }
        return new StringContent(text.ToString(), Encoding.UTF8, "application/x-ndjson");
    }
}

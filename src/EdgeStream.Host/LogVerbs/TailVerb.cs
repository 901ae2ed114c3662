using System.CommandLine;
using System.Threading.Channels;
using EdgeStream.Log;

namespace EdgeStream.Host.LogVerbs;

/// <summary>
/// <c>log tail &lt;topic&gt;</c>: follows one or all partitions (one <see cref="LogStore.TailAsync"/> per partition,
/// merged in arrival order) until cancelled (Ctrl+C). Starts at each partition's end unless <c>--from-offset</c> says
/// otherwise. A running service holds its data directory, so live boxes are followed with <c>--url</c> (see
/// <see cref="RemoteTail"/>).
/// </summary>
internal static class TailVerb
{
    public static Command Create()
    {
        var data = LogAccess.DataOption();
        var topicArg = new Argument<string>("topic") { Description = "The topic to follow." };
        var partition = new Option<int?>("--partition") { Description = "Only this partition (default: every partition)." };
        var fromOffset = new Option<long?>("--from-offset") { Description = "Start at this offset in each partition (default: the end)." };
        var format = RecordPrinter.FormatOption(RecordFormat.Text);
        var url = new Option<string?>("--url") { Description = "Follow a running service through its HTTP pull API instead (prints jsonl), e.g. http://127.0.0.1:8080." };
        var token = new Option<string?>("--token") { Description = "Bearer token for --url when Http:Token is set." };
        var command = new Command("tail", "Follow a topic's new records until Ctrl+C.") { data, topicArg, partition, fromOffset, format, url, token };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (parse.GetValue(url) is { } address)
            {
                if (!Uri.TryCreate(address.TrimEnd('/') + "/", UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
                {
                    await error.WriteLineAsync($"edgestream: --url '{address}' is not an http(s) address.");
                    return LogAccess.UsageError;
                }
                return await RemoteTail.RunAsync(server, parse.GetValue(topicArg)!, parse.GetValue(partition), parse.GetValue(fromOffset), parse.GetValue(token), output, error, ct);
            }
            await using var store = await LogAccess.OpenAsync(parse.GetValue(data)!, error, ct);
            if (store is null
                || LogAccess.FindTopic(store, parse.GetValue(topicArg)!, error) is not { } topic
                || LogAccess.SelectPartitions(topic, parse.GetValue(partition), error) is not { } partitions)
            {
                return LogAccess.UsageError;
            }
            var from = parse.GetValue(fromOffset);
            try
            {
                await TailAsync(store, topic.Name, partitions, from, new RecordPrinter(output, parse.GetValue(format)), ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl+C is the normal way out.
            }
            catch (CorruptBatchException e)
            {
                await error.WriteLineAsync($"edgestream: {e.Message}");
                return 1;
            }
            await output.FlushAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }

    private static async Task TailAsync(LogStore store, string topic, IReadOnlyList<PartitionInfo> partitions, long? from,
        RecordPrinter printer, CancellationToken ct)
    {
        // Bounded so a slow terminal pushes back on the readers instead of buffering the log in memory.
        var channel = Channel.CreateBounded<StoredRecord>(new BoundedChannelOptions(1024) { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pumps = PumpAllAsync(store, topic, partitions, from, channel.Writer, stop.Token);
        try
        {
            await foreach (var record in channel.Reader.ReadAllAsync(ct))
            {
                await printer.PrintAsync(record, ct);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await pumps;
        }
    }

    private static async Task PumpAllAsync(LogStore store, string topic, IReadOnlyList<PartitionInfo> partitions, long? from,
        ChannelWriter<StoredRecord> writer, CancellationToken ct)
    {
        try
        {
            await Task.WhenAll(partitions.Select(p => PumpAsync(store, topic, p.Partition, from ?? p.NextOffset, writer, ct)));
            writer.TryComplete();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            writer.TryComplete();
        }
        catch (Exception e)
        {
            // Surfaces through the reader (e.g. a corrupt batch), which then stops the other pumps.
            writer.TryComplete(e);
        }
    }

    private static async Task PumpAsync(LogStore store, string topic, int partition, long from, ChannelWriter<StoredRecord> writer, CancellationToken ct)
    {
        await foreach (var record in store.TailAsync(topic, partition, from, ct))
        {
            await writer.WriteAsync(record, ct);
        }
    }
}

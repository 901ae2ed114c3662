namespace EdgeStream.Log.Ingest;

/// <summary>Conveniences over <see cref="IIngestWriter"/>, built only from its members (so a wrapper sees every call).</summary>
public static class IngestWriterExtensions
{
    /// <summary>Appends one record and completes once it is durable; returns where it landed.</summary>
    public static async ValueTask<AppendResult> AppendDurableAsync(this IIngestWriter writer, string topic, LogRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var result = await writer.AppendAsync(topic, record, cancellationToken).ConfigureAwait(false);
        await writer.WaitForDurableAsync(topic, result.Partition, result.LastOffset, cancellationToken).ConfigureAwait(false);
        return result;
    }
}
